/// PostgreSQL type OIDs the layer encodes and decodes (from `pg_type.dat`).
public struct PostgresType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Lets the server infer the type from context, as it does for a quoted literal.
    public static let unspecified = PostgresType(rawValue: 0)
    public static let bool = PostgresType(rawValue: 16)
    public static let bytea = PostgresType(rawValue: 17)
    public static let char = PostgresType(rawValue: 18)
    public static let name = PostgresType(rawValue: 19)
    public static let int8 = PostgresType(rawValue: 20)
    public static let int2 = PostgresType(rawValue: 21)
    public static let int4 = PostgresType(rawValue: 23)
    public static let text = PostgresType(rawValue: 25)
    public static let oid = PostgresType(rawValue: 26)
    public static let json = PostgresType(rawValue: 114)
    public static let float4 = PostgresType(rawValue: 700)
    public static let float8 = PostgresType(rawValue: 701)
    public static let unknown = PostgresType(rawValue: 705)
    public static let bpchar = PostgresType(rawValue: 1042)
    public static let varchar = PostgresType(rawValue: 1043)
    public static let timestamp = PostgresType(rawValue: 1114)
    public static let timestamptz = PostgresType(rawValue: 1184)
    public static let numeric = PostgresType(rawValue: 1700)
    public static let uuid = PostgresType(rawValue: 2950)
    public static let jsonb = PostgresType(rawValue: 3802)
    public static let textArray = PostgresType(rawValue: 1009)
}

/// One bind parameter as libpq receives it: a type, a wire format and the bytes (nil is NULL).
public struct PostgresBind: Sendable {
    public enum Format: Int32, Sendable {
        case text = 0
        /// Only bytea is sent in binary, so zero bytes survive without escaping.
        case binary = 1
    }

    public let type: PostgresType
    public let format: Format
    public let bytes: [UInt8]?

    public init(type: PostgresType, format: Format = .text, bytes: [UInt8]?) {
        self.type = type
        self.format = format
        self.bytes = bytes
    }

    public init(type: PostgresType, text: String) {
        self.init(type: type, bytes: Array(text.utf8))
    }

    public static let null = PostgresBind(type: .unspecified, bytes: nil)
}

/// A Swift value that can be sent as a bind parameter.
public protocol PostgresEncodable: Sendable {
    var postgresBind: PostgresBind { get }
}

/// A Swift value that can be read from a result column in PostgreSQL's text output format.
public protocol PostgresDecodable: Sendable {
    /// Column types this Swift type accepts; any other is a type mismatch.
    static func accepts(_ type: PostgresType) -> Bool
    /// Builds the value from the column's text output (never called for NULL).
    init(postgresText bytes: ArraySlice<UInt8>, type: PostgresType) throws
    /// What a NULL column decodes to, or nil when NULL is an error for this type.
    static var decodedNull: Self? { get }
}

extension PostgresDecodable {
    public static var decodedNull: Self? { nil }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresBind: PostgresBind { self?.postgresBind ?? .null }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func accepts(_ type: PostgresType) -> Bool { Wrapped.accepts(type) }
    public init(postgresText bytes: ArraySlice<UInt8>, type: PostgresType) throws {
        self = try Wrapped(postgresText: bytes, type: type)
    }
    public static var decodedNull: Self? { .some(nil) }
}
