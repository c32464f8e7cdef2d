import Foundation
import Shared

/// An OAuth client as the authorization server knows it: registered (RFC 7591) or described by
/// its Client ID Metadata Document (its `client_id` is the document's https URL).
struct OAuthClient: Sendable, Equatable {
    enum AuthMethod: String, Sendable, CaseIterable {
        case none
        case clientSecretPost = "client_secret_post"
        case clientSecretBasic = "client_secret_basic"
    }

    let clientID: String
    let name: String?
    let redirectURIs: [String]
    let authMethod: AuthMethod
    /// SHA-256 of the client secret (confidential registered clients only).
    let secretHash: [UInt8]?

    /// The registered redirect URI `presented` stands for, or nil. Exact string match, except that a
    /// loopback redirect may use any port (RFC 8252 §7.3: native apps bind an ephemeral port).
    func redirectURI(matching presented: String) -> String? {
        if redirectURIs.contains(presented) { return presented }
        guard let candidate = RedirectURIRules.loopbackWithoutPort(presented) else { return nil }
        return redirectURIs.first { RedirectURIRules.loopbackWithoutPort($0) == candidate } != nil ? presented : nil
    }

    /// Whether `clientID` names a metadata document rather than a registration.
    static func isMetadataDocumentURL(_ clientID: String) -> Bool {
        clientID.hasPrefix("https://") || clientID.hasPrefix("http://")
    }
}

/// What a redirect URI may be (OAuth 2.1 §2.3.1, issue 14 item 2): https, or http to a loopback
/// host; absolute, without fragment or credentials, at most 2000 bytes.
enum RedirectURIRules {
    static let maximumLength = 2000

    /// Why `text` is not acceptable, or nil when it is.
    static func refusal(_ text: String) -> String? {
        guard text.utf8.count <= maximumLength else { return "is longer than \(maximumLength) bytes" }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty
        else { return "is not an absolute URL with a host" }
        guard components.fragment == nil else { return "must not have a fragment" }
        guard components.user == nil, components.password == nil else { return "must not carry credentials" }
        switch scheme {
        case "https": return nil
        case "http" where isLoopback(host): return nil
        case "http": return "must use https (plain http only to 127.0.0.1, [::1] or localhost)"
        default: return "must use https (or http to a loopback address)"
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "[::1]", "::1", "localhost"].contains(host.lowercased())
    }

    /// A loopback http redirect URI with its port removed, for port-agnostic matching; nil otherwise.
    static func loopbackWithoutPort(_ text: String) -> String? {
        guard var components = URLComponents(string: text), components.scheme?.lowercased() == "http",
              let host = components.host, isLoopback(host)
        else { return nil }
        components.port = nil
        return components.string
    }
}
