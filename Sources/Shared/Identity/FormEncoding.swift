import Foundation

/// `application/x-www-form-urlencoded` and OAuth redirect queries (RFC 6749 appendix B): every
/// character but the unreserved ones is percent-escaped, `+` and `&` included, so a value never
/// changes meaning on the way.
public enum FormEncoding {
    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    public static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
