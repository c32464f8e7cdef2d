/// Column names and types shared by every row of one result.
public struct ResultColumns: Sendable {
    public let names: [String]
    public let types: [PostgresType]

    func index(of name: String) -> Int? { names.firstIndex(of: name) }
}

/// One row of a result, copied out of libpq so it outlives the connection it came from.
public struct Row: Sendable {
    public let columns: ResultColumns
    /// Each column's text output, nil for NULL.
    let values: [[UInt8]?]

    public subscript(isNull column: String) -> Bool {
        guard let index = columns.index(of: column) else { return true }
        return values[index] == nil
    }

    /// Decodes a column by name; a NULL into a non-optional, or a column type the Swift type
    /// does not accept, is an error that names the column.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.index(of: column) else {
            throw DatabaseError(.missingColumn, detail: "no column \"\(column)\" in \(columns.names)")
        }
        return try decode(at: index, as: type)
    }

    public func decode<T: PostgresDecodable>(at index: Int, as type: T.Type = T.self) throws -> T {
        let name = columns.names[index]
        guard let bytes = values[index] else {
            guard let null = T.decodedNull else {
                throw DatabaseError(.unexpectedNull, detail: "column \"\(name)\" is NULL; decode it as \(T.self)?")
            }
            return null
        }
        let columnType = columns.types[index]
        guard T.accepts(columnType) else {
            throw DatabaseError(
                .typeMismatch,
                detail: "column \"\(name)\" has type oid \(columnType.rawValue), which \(T.self) cannot represent"
            )
        }
        return try T(postgresText: bytes[...], type: columnType)
    }
}

/// The outcome of one statement: its rows, and how many rows a write touched.
public struct QueryResult: Sendable {
    public let rows: [Row]
    public let affectedRows: Int

    public var first: Row? { rows.first }
}
