/// Rows for `COPY table (columns) FROM STDIN` in PostgreSQL's text format, built from the same
/// `PostgresEncodable` values a query binds: each value is spelled as its `$n` parameter would be,
/// then escaped for COPY. One COPY stream replaces a multi-row INSERT whose thousands of `$n`
/// parameters the server must parse and plan (issue 11 item 3).
public struct CopyRows: Sendable {
    /// The COPY data: one line per row, fields separated by tabs, `\N` for NULL.
    public private(set) var data: [UInt8] = []
    public private(set) var count = 0

    public init(reservingBytes: Int = 0) {
        data.reserveCapacity(reservingBytes)
    }

    /// Appends one row, its values in the statement's column order. A text value holding a NUL
    /// byte, which PostgreSQL text cannot hold, throws `malformedValue` and appends nothing.
    public mutating func append(_ values: [any PostgresEncodable]) throws {
        let rowStart = data.count
        do {
            for (index, value) in values.enumerated() {
                if index > 0 { data.append(UInt8(ascii: "\t")) }
                try appendField(value.postgresBind, column: index + 1)
            }
        } catch {
            data.removeSubrange(rowStart...)
            throw error
        }
        data.append(UInt8(ascii: "\n"))
        count += 1
    }

    private mutating func appendField(_ bind: PostgresBind, column: Int) throws {
        guard let bytes = bind.bytes else {
            data.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
            return
        }
        switch bind.format {
        case .binary:
            // Only bytea binds in binary: its text input is `\x` and hex digits, the backslash escaped for COPY.
            guard bind.type == .bytea else {
                throw DatabaseError(.malformedValue, detail: "column \(column): a binary value of type \(bind.type.rawValue) cannot be copied as text")
            }
            data.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\"), UInt8(ascii: "x")])
            for byte in bytes {
                data.append(Self.hexDigits[Int(byte >> 4)])
                data.append(Self.hexDigits[Int(byte & 0x0F)])
            }
        case .text:
            for byte in bytes {
                switch byte {
                case 0:
                    throw DatabaseError(.malformedValue, detail: "column \(column) contains a NUL byte, which PostgreSQL text cannot hold")
                case UInt8(ascii: "\\"): data.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case UInt8(ascii: "\n"): data.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case UInt8(ascii: "\r"): data.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case UInt8(ascii: "\t"): data.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                default: data.append(byte)
                }
            }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
