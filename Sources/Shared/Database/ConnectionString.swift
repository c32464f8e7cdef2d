import CLibPQ

/// Connection-string arithmetic done by libpq itself, so URLs and key=value strings are read
/// exactly as a connection would read them.
public enum ConnectionString {
    /// The same connection settings with another database name, as a key=value string.
    public static func replacingDatabase(in conninfo: String, with database: String) throws -> String {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            let detail = errorMessage.map { String(cString: $0) } ?? "invalid connection string"
            errorMessage.map { PQfreemem($0) }
            throw DatabaseError(.connectionFailed, detail: detail)
        }
        defer { PQconninfoFree(options) }
        var pairs: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            let key = String(cString: keyword)
            if key == "dbname" {
                pairs.append("dbname=\(quoted(database))")
            } else if let value = option.pointee.val {
                pairs.append("\(key)=\(quoted(String(cString: value)))")
            }
            option += 1
        }
        return pairs.joined(separator: " ")
    }

    /// A value quoted as libpq's key=value syntax requires.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
