import JSON

/// jsonb (or json) columns as `JSONValue`: sent as its serialization, read back through the
/// strict parser, so stores never handle JSON text themselves.
extension JSONValue: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind { PostgresBind(type: .jsonb, text: serialized()) }

    public static func accepts(_ type: PostgresType) -> Bool { JSONB.accepts(type) }

    public init(postgresText bytes: ArraySlice<UInt8>, type: PostgresType) throws {
        self = try JSONValue.parse(Array(bytes))
    }
}
