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
/// host; absolute, without fragment or credentials, at most 2000 bytes. A public client (a native
/// app: Cursor, VS Code) may also use a private-use URI scheme (RFC 8252 §7.1, issue 14 leftover
/// 5): `cursor://...`, `vscode://...`, or reverse-DNS like `com.example.app:/callback`, whose
/// host is optional. Schemes a browser runs or reads itself are never one (`javascript:`,
/// `data:`, `file:`, ...).
enum RedirectURIRules {
    static let maximumLength = 2000

    /// Schemes that are not an app's: the browser's own, and standard ones an app cannot claim.
    static let refusedSchemes: Set<String> = [
        "javascript", "vbscript", "data", "file", "blob", "filesystem", "about", "view-source", "chrome", "resource",
        "ftp", "ws", "wss", "mailto", "tel", "sms", "urn", "intent",
    ]

    /// Why `text` is not acceptable, or nil when it is. `publicClient`: the client has no secret
    /// (token_endpoint_auth_method `none`, and every Client ID Metadata Document client).
    static func refusal(_ text: String, publicClient: Bool) -> String? {
        guard text.utf8.count <= maximumLength else { return "is longer than \(maximumLength) bytes" }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            return "is not an absolute URL"
        }
        guard components.fragment == nil else { return "must not have a fragment" }
        guard components.user == nil, components.password == nil else { return "must not carry credentials" }
        let host = components.host ?? ""
        if scheme == "https" || scheme == "http" {
            guard !host.isEmpty else { return "is not an absolute URL with a host" }
            if scheme == "https" || isLoopback(host) { return nil }
            return "must use https (plain http only to 127.0.0.1, [::1] or localhost)"
        }
        guard publicClient else { return "must use https (or http to a loopback address)" }
        guard !refusedSchemes.contains(scheme) else { return "must use https, http to a loopback address, or an app's private-use scheme" }
        guard !host.isEmpty || !components.path.isEmpty else { return "is not an absolute URL" }
        return nil
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
