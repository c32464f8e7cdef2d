/// How the text columns of `audit_events` hold any string (issue 10 item 1).
///
/// PostgreSQL's text cannot hold U+0000, yet an agent may put NUL in a method, a tool name or an
/// argument key, and the event must still be stored (one refused row used to wedge the shipper).
/// So NUL is written as `\0` and a backslash as `\\`; every other string, which is nearly all of
/// them, is stored unchanged. The escape is undone when a row is read (`AuditEvent(storedRow:)`), so
/// the chain hashes the event that was spooled and readers see what the agent sent.
public enum AuditStoredText {
    public static func stored(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0 || $0 == UInt8(ascii: "\\") }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\0": out += "\\0"
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The string `stored(_:)` was given. A backslash before anything but `0` or `\` (a row written
    /// before this encoding) is kept as it is.
    public static func original(_ stored: String) -> String {
        guard stored.utf8.contains(UInt8(ascii: "\\")) else { return stored }
        var out = ""
        out.reserveCapacity(stored.utf8.count)
        var escaped = false
        for scalar in stored.unicodeScalars {
            if escaped {
                switch scalar {
                case "0": out.unicodeScalars.append("\0")
                case "\\": out.unicodeScalars.append("\\")
                default: out.unicodeScalars.append("\\"); out.unicodeScalars.append(scalar)
                }
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        if escaped { out.unicodeScalars.append("\\") }
        return out
    }
}
