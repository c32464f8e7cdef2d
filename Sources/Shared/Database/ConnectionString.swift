import CLibPQ

/// Connection-string arithmetic done by libpq itself, so URLs and key=value strings are read
/// exactly as a connection would read them.
public enum ConnectionString {
    /// The same connection settings with another database name, as a key=value string.
    public static func replacingDatabase(in conninfo: String, with database: String) throws -> String {
        try replacing(["dbname": database], in: conninfo)
    }

    /// The same connection settings with some set to other values, as a key=value string.
    public static func replacing(_ replacements: [String: String], in conninfo: String) throws -> String {
        let kept = try settings(of: conninfo).filter { replacements[$0.key] == nil }
        return (kept + replacements.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
            .map { "\($0.key)=\(quoted($0.value))" }.joined(separator: " ")
    }

    /// The settings a conninfo string or URL names, keyword and value, in libpq's keyword order.
    public static func settings(of conninfo: String) throws -> [(key: String, value: String)] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            let detail = errorMessage.map { String(cString: $0) } ?? "invalid connection string"
            errorMessage.map { PQfreemem($0) }
            throw DatabaseError(.connectionFailed, detail: detail)
        }
        defer { PQconninfoFree(options) }
        var pairs: [(key: String, value: String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { pairs.append((String(cString: keyword), String(cString: value))) }
            option += 1
        }
        return pairs
    }

    /// A value quoted as libpq's key=value syntax requires.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
