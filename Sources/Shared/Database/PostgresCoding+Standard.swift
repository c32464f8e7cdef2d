import Foundation

// Conformances for the Swift types the project stores. Results come back in PostgreSQL's text
// output format; each type accepts only the column types it can represent without loss.

private func malformed(_ bytes: ArraySlice<UInt8>, as name: String) -> DatabaseError {
    DatabaseError(.malformedValue, detail: "cannot read \(String(decoding: bytes, as: UTF8.self)) as \(name)")
}

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind { PostgresBind(type: .text, text: self) }
    public static func accepts(_ type: PostgresType) -> Bool {
        [.text, .varchar, .bpchar, .name, .char, .unknown].contains(type)
    }
    public init(postgresText bytes: ArraySlice<UInt8>, type: PostgresType) throws {
        self = String(decoding: bytes, as: UTF8.self)
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind { PostgresBind(type: .bool, text: self ? "t" : "f") }
    public static func accepts(_ type: PostgresType) -> Bool { type == .bool }
    public init(postgresText bytes: ArraySlice<UInt8>, type: PostgresType) throws {
        switch bytes.first {
        case UInt8(ascii: "t"): self = true
        case UInt8(ascii: "f"): self = false
        default: throw malformed(bytes, as: "Bool")
        }
    }
}

/// Integers of every width share one implementation: sent as int8, read from int2/int4/int8.
public protocol PostgresInteger: FixedWidthInteger, PostgresEncodable, PostgresDecodable {}

extension PostgresInteger {
    public var postgresBind: PostgresBind { PostgresBind(type: .int8, text: String(self)) }
    public static func accepts(_ type: PostgresType) -> Bool { [.int2, .int4, .int8, .oid].contains(type) }
    public init(postgresText bytes: ArraySlice<UInt8>, type: PostgresType) throws {
        guard let value = Self(String(decoding: bytes, as: UTF8.self)) else {
            throw malformed(bytes, as: String(describing: Self.self))
        }
        self = value
    }
}

extension Int: PostgresInteger {}
extension Int64: PostgresInteger {}
extension Int32: PostgresInteger {}
extension Int16: PostgresInteger {}

extension Double: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind { PostgresBind(type: .float8, text: String(self)) }
    public static func accepts(_ type: PostgresType) -> Bool {
        [.float4, .float8, .numeric, .int2, .int4, .int8].contains(type)
    }
    public init(postgresText bytes: ArraySlice<UInt8>, type: PostgresType) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Double(text) else { throw malformed(bytes, as: "Double") }
            self = value
        }
    }
}

extension Decimal: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind { PostgresBind(type: .numeric, text: description) }
    public static func accepts(_ type: PostgresType) -> Bool { [.numeric, .int2, .int4, .int8].contains(type) }
    public init(postgresText bytes: ArraySlice<UInt8>, type: PostgresType) throws {
        guard let value = Decimal(string: String(decoding: bytes, as: UTF8.self), locale: nil) else {
            throw malformed(bytes, as: "Decimal")
        }
        self = value
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind { PostgresBind(type: .uuid, text: lowercaseText) }
    public static func accepts(_ type: PostgresType) -> Bool { type == .uuid }
    public init(postgresText bytes: ArraySlice<UInt8>, type: PostgresType) throws {
        guard let value = UUID(uuidString: String(decoding: bytes, as: UTF8.self)) else {
            throw malformed(bytes, as: "UUID")
        }
        self = value
    }
}

/// bytea: sent in binary so zero bytes pass untouched; read from the server's hex output (`\x0a1b`).
extension Array: PostgresEncodable, PostgresDecodable where Element == UInt8 {
    public var postgresBind: PostgresBind { PostgresBind(type: .bytea, format: .binary, bytes: self) }
    public static func accepts(_ type: PostgresType) -> Bool { type == .bytea }
    public init(postgresText bytes: ArraySlice<UInt8>, type: PostgresType) throws {
        guard bytes.count >= 2, bytes.count % 2 == 0,
              bytes[bytes.startIndex] == UInt8(ascii: "\\"), bytes[bytes.startIndex + 1] == UInt8(ascii: "x")
        else { throw malformed(bytes, as: "bytea (hex format)") }
        var result = [UInt8]()
        result.reserveCapacity((bytes.count - 2) / 2)
        var index = bytes.startIndex + 2
        while index < bytes.endIndex {
            guard let high = hexNibble(bytes[index]), let low = hexNibble(bytes[index + 1]) else {
                throw malformed(bytes, as: "bytea (hex format)")
            }
            result.append(high << 4 | low)
            index += 2
        }
        self = result
    }
}

private func hexNibble(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// A jsonb (or json) value carried as its text; the JSON layer parses it where it is needed.
public struct JSONB: PostgresEncodable, PostgresDecodable, Hashable {
    public let text: String
    public init(text: String) { self.text = text }

    public var postgresBind: PostgresBind { PostgresBind(type: .jsonb, text: text) }
    public static func accepts(_ type: PostgresType) -> Bool { type == .jsonb || type == .json }
    public init(postgresText bytes: ArraySlice<UInt8>, type: PostgresType) throws {
        text = String(decoding: bytes, as: UTF8.self)
    }
}

/// A list of strings, sent as `text[]` (for `= ANY($1)`).
public struct TextArray: PostgresEncodable {
    public let values: [String]
    public init(_ values: [String]) { self.values = values }

    /// `{"a","b\"c"}`: every element quoted, `"` and `\` escaped with a backslash. Built byte by
    /// byte: the audit shipper encodes arrays for every event (issue 11 item 3).
    public var postgresBind: PostgresBind {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(2 + values.reduce(0) { $0 + $1.utf8.count + 3 })
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return PostgresBind(type: .textArray, bytes: bytes)
    }
}
