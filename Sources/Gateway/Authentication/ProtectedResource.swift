import Foundation
import JSON
import Shared

/// The gateway as an OAuth 2.1 protected resource (issue 14 item 1, RFC 9728): each server's
/// resource URL, the metadata document that names the authorization server, and the challenges of
/// `WWW-Authenticate` that point clients at it.
struct ProtectedResource: Sendable {
    /// `--public-gateway-url` without a trailing slash: the URL clients reach the gateway at.
    let publicGatewayURL: String

    static let metadataPath = "/.well-known/oauth-protected-resource"

    /// The root document or a server's: what browser-based clients may fetch cross-origin.
    @Sendable static func isMetadataPath(_ path: String) -> Bool {
        path == metadataPath || path.hasPrefix(metadataPath + "/")
    }

    init(publicGatewayURL: String) {
        var url = publicGatewayURL
        while url.hasSuffix("/") { url.removeLast() }
        self.publicGatewayURL = url
    }

    /// A server's resource URL, the one audience its access tokens carry (RFC 8707).
    func resource(server: UUID) -> String {
        "\(publicGatewayURL)/mcp/\(server.lowercaseText)"
    }

    /// Where a server's metadata is; the root document's for a path that names no server.
    func metadataURL(server: UUID?) -> String {
        publicGatewayURL + Self.metadataPath + (server.map { "/mcp/\($0.lowercaseText)" } ?? "")
    }

    /// RFC 9728 §2. `authorizationServers` come from the snapshot's signing keys.
    func metadata(server: UUID?, authorizationServers: [String]) -> JSONValue {
        [
            "resource": .string(server.map(resource(server:)) ?? publicGatewayURL),
            "authorization_servers": .array(authorizationServers.map(JSONValue.string)),
            "scopes_supported": .array(MCPScopes.supportedNames.map(JSONValue.string)),
            "bearer_methods_supported": ["header"],
        ]
    }

    /// `WWW-Authenticate` of a 401 on `/mcp/{serverId}` (RFC 9728 §5.1, RFC 6750 §3): the metadata
    /// to discover the authorization server from, the scopes to ask for, and `invalid_token`
    /// when a token was sent.
    func unauthorizedChallenge(server: UUID?, tokenSent: Bool) -> String {
        (tokenSent ? #"Bearer error="invalid_token", "# : "Bearer ")
            + #"resource_metadata="\#(metadataURL(server: server))", scope="\#(MCPScopes.supportedNames.joined(separator: " "))""#
    }

    /// `WWW-Authenticate` of a 403 for a token without the scope a method needs: the client asks
    /// for more (step-up authorization, MCP `basic/authorization`).
    func insufficientScopeChallenge(server: UUID) -> String {
        #"Bearer error="insufficient_scope", scope="\#(MCPScopes.supportedNames.joined(separator: " "))", "#
            + #"resource_metadata="\#(metadataURL(server: server))""#
    }
}
