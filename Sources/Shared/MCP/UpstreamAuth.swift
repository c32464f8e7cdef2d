import NIOHTTP1

/// How Portcullis authenticates to an upstream MCP server (design.md §2, §5.4). The secret parts are
/// sealed at rest (`SecretSealer`, purpose `.upstreamCredentials`) in the form of
/// `UpstreamAuth+Storage.swift`.
public enum UpstreamAuth: Sendable, Equatable, CustomStringConvertible {
    case none
    /// Static headers sent with every upstream request (an API key header, for example).
    case headers([(name: String, value: String)])
    case bearer(token: String)

    /// Writes the credentials into `headers`, replacing any of the same name; a header name
    /// static auth may not set (`refusalReason(forHeaderName:)`) is never written.
    public func apply(to headers: inout HTTPHeaders) {
        switch self {
        case .none:
            break
        case .headers(let pairs):
            for (name, value) in pairs where Self.refusalReason(forHeaderName: name) == nil {
                headers.replaceOrAdd(name: name, value: value)
            }
        case .bearer(let token):
            headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
        }
    }

    /// Names the kind only: credentials must never reach a log line (STYLE, logging).
    public var description: String {
        switch self {
        case .none: "none"
        case .headers(let pairs): "headers(\(pairs.map(\.name).joined(separator: ", ")))"
        case .bearer: "bearer"
        }
    }

    public static func == (lhs: UpstreamAuth, rhs: UpstreamAuth) -> Bool {
        switch (lhs, rhs) {
        case (.none, .none): true
        case (.headers(let a), .headers(let b)): a.elementsEqual(b) { $0.name == $1.name && $0.value == $1.value }
        case (.bearer(let a), .bearer(let b)): a == b
        default: false
        }
    }
}
