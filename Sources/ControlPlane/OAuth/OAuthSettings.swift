import Foundation
import Shared

/// The settings of the OAuth authorization server (issue 14 item 2).
struct OAuthSettings: Sendable {
    /// `--public-url` without a trailing slash: the issuer identifier (RFC 8414) and the base of
    /// every `/oauth/...` URL handed to clients.
    let issuer: String
    /// `--oauth-access-token-lifetime`.
    let accessTokenLifetime: Duration
    /// Seals the signing keys; nil without `PORTCULLIS_SECRET_KEYS`, and then the `/oauth` routes
    /// are not served (a private key must never be stored in clear).
    let keySealer: SecretSealer?

    /// A pending authorization request waits this long for the member (contract: 10 minutes).
    static let requestLifetime: Duration = .seconds(600)
    /// An authorization code is good once, for this long (OAuth 2.1 §4.1.2 recommends at most 10 minutes).
    static let codeLifetime: Duration = .seconds(60)
    /// A refresh token's life; each use replaces it with a new one.
    static let refreshTokenLifetime: Duration = .seconds(30 * 86_400)

    init(issuer: String = "http://127.0.0.1:8080", accessTokenLifetime: Duration = .seconds(600), keySealer: SecretSealer? = nil) {
        var issuer = issuer
        while issuer.hasSuffix("/") { issuer.removeLast() }
        self.issuer = issuer
        self.accessTokenLifetime = accessTokenLifetime
        self.keySealer = keySealer
    }

    func signingKeys(database: Database) -> OAuthSigningKeyStore? {
        keySealer.map { OAuthSigningKeyStore(database: database, sealer: $0, issuer: issuer) }
    }

    func url(_ path: String) -> String { issuer + path }
}

/// The two scopes of the contract: `mcp:read` (initialize, ping, notifications, lists, reads) and
/// `mcp:call` (tools/call and everything else).
enum OAuthScopes {
    static let supported = ["mcp:read", "mcp:call"]

    /// The granted scope for a requested one: nil when it names an unknown scope; both when it
    /// names none (the contract). Normalised to the order of `supported`.
    static func granted(requested: String?) -> String? {
        let names = Set((requested ?? "").split(separator: " ").map(String.init))
        guard names.isSubset(of: supported) else { return nil }
        return supported.filter { names.isEmpty || names.contains($0) }.joined(separator: " ")
    }
}
