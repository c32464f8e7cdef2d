import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Shared
import Testing

@testable import ControlPlane
import JSON

/// An account with a `per_identity` server behind `upstream` and an identity to connect.
struct UpstreamOAuthSetup {
    let admin: Caller
    let server: String
    let identity: String

    var credentialPath: String { "/v1/identities/\(identity)/credentials/\(server)" }
    var connectPath: String { credentialPath + "/oauth" }

    static func make(_ api: APIClient, upstream: FakeUpstreamAuthorizationServer) async throws -> UpstreamOAuthSetup {
        let admin = try await api.signup()
        let server = try await api.send(.post, "/v1/servers", key: admin.key, json: [
            "name": "oauth-upstream", "url": .string(upstream.mcpURL), "auth": ["type": "none"], "credential_mode": "per_identity",
        ])
        #expect(server.status == .created)
        let identity = try await api.send(.post, "/v1/identities", key: admin.key, json: ["label": "alice"])
        return UpstreamOAuthSetup(admin: admin, server: server.objectID, identity: identity.objectID)
    }

    /// Starts a connect and returns the authorization URL (expects 200).
    func start(_ api: APIClient, body: JSONValue = [:]) async throws -> String {
        let started = try await api.send(.post, connectPath, key: admin.key, json: body)
        #expect(started.status == .ok, "\(started.bodyText)")
        return try #require(started["authorization_url"]?.stringValue)
    }
}

/// The callback page as the member's browser gets it.
struct CallbackPage {
    let status: HTTPResponse.Status
    let text: String
}

extension APIClient {
    func callback(_ pathAndQuery: String) async throws -> CallbackPage {
        let response = try await client.execute(uri: pathAndQuery, method: .get, headers: [:], body: nil)
        return CallbackPage(status: response.status, text: String(buffer: response.body))
    }
}

extension FakeUpstreamAuthorizationServer {
    /// Opens `authorizationURL` as the member's browser would (the fake approves at once) and
    /// returns the path and query of the redirect back to the control plane, unfollowed.
    func approve(_ authorizationURL: String) async throws -> String {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        defer { _ = client.shutdown() }
        let response = try await client.execute(HTTPClientRequest(url: authorizationURL), timeout: .seconds(5))
        let location = try #require(response.headers.first(name: "Location"))
        let components = try #require(URLComponents(string: location))
        return components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? "")
    }
}

extension URLComponents {
    func query(_ name: String) -> String? { queryItems?.first { $0.name == name }?.value }
}

/// The access token a worker would send for the identity, opened from the full snapshot; nil when
/// none is published.
func publishedAccessToken(_ database: Database, _ setup: UpstreamOAuthSetup) async throws -> (token: String, expiresAt: Date?)? {
    guard let published = try await SnapshotReader(database: database).full().entities.identityCredentials.first(where: {
        $0.identityID.uuidString.lowercased() == setup.identity && $0.serverID.uuidString.lowercased() == setup.server
    }) else { return nil }
    let sealer = SecretSealer(keyRing: try SecretKeyRing(parsing: testSecretKeys), purpose: .upstreamCredentials)
    let auth = try UpstreamAuth(
        storedType: published.authType, sealedBytes: Data(base64Encoded: published.sealedCredentials).map(Array.init), sealer: sealer,
        boundTo: UpstreamAuth.binding(account: published.accountID, server: published.serverID, identity: published.identityID))
    guard case .bearer(let token) = auth else { return nil }
    return (token, published.expiresAt)
}
