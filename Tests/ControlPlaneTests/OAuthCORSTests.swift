import Foundation
import Hummingbird
import HummingbirdTesting
import Shared
import Testing

@testable import ControlPlane

/// Browser-based MCP clients call the authorization server's public endpoints cross-origin (issue
/// 14 leftover 3): those answer any origin, without credentials, errors included, and answer
/// preflights; `/v1` and the pages a member's browser opens grant nothing.
struct OAuthCORSTests {
    static let origin: HTTPFields = [.origin: "https://app.example"]

    func send(_ api: APIClient, _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = origin) async throws -> HTTPFields {
        try await api.client.execute(uri: path, method: method, headers: headers).headers
    }

    @Test(.timeLimit(.minutes(2)))
    func thePublicOAuthEndpointsAnswerAnyOriginWithoutCredentialsErrorsIncluded() async throws {
        try await withOAuthAPI { api, _ in
            for path in ["/.well-known/oauth-authorization-server", "/oauth/jwks"] {
                let headers = try await send(api, .get, path)
                #expect(headers[.accessControlAllowOrigin] == "*", "\(path)")
                #expect(headers[.accessControlAllowCredentials] == nil)
            }
            // Error answers too: a client in a page must read `invalid_grant`, not a network error.
            let refused = try await api.form("/oauth/token", [("grant_type", "authorization_code"), ("code", "nope")], headers: Self.origin)
            #expect(refused.status == .badRequest)
            #expect(refused.headers[.accessControlAllowOrigin] == "*")
            var json = Self.origin
            json[.contentType] = "application/json"
            let registration = try await api.client.execute(uri: "/oauth/register", method: .post, headers: json, body: ByteBuffer(string: "not json"))
            #expect(registration.status == .badRequest)
            #expect(registration.headers[.accessControlAllowOrigin] == "*")
            let revoked = try await api.form("/oauth/revoke", [("token", "nope"), ("client_id", "nobody")], headers: Self.origin)
            #expect(revoked.headers[.accessControlAllowOrigin] == "*")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func preflightsOfThePublicPostEndpointsAreAnswered() async throws {
        try await withOAuthAPI { api, _ in
            var preflight = Self.origin
            preflight[.accessControlRequestMethod] = "POST"
            preflight[.accessControlRequestHeaders] = "content-type, authorization"
            for path in ["/oauth/token", "/oauth/register", "/oauth/revoke"] {
                let response = try await api.client.execute(uri: path, method: .options, headers: preflight)
                #expect(response.status == .noContent, "\(path)")
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                #expect(response.headers[.accessControlAllowMethods]?.contains("POST") == true)
                let allowed = response.headers[.accessControlAllowHeaders]?.lowercased() ?? ""
                #expect(allowed.contains("content-type") && allowed.contains("authorization"))
                #expect(response.headers[.accessControlAllowCredentials] == nil)
            }
        }
    }

    /// The console's cookie session and the member's consent stay same-origin (docs/security.md).
    @Test(.timeLimit(.minutes(2)))
    func theConsoleAPIAndTheAuthorizationPagesGrantNoCrossOriginAccess() async throws {
        try await withOAuthAPI { api, _ in
            let admin = try await api.signup()
            var withKey = Self.origin
            withKey[.authorization] = "Bearer \(admin.key)"
            for (method, path, headers) in [
                (HTTPRequest.Method.get, "/v1/account", withKey), (.options, "/v1/account", Self.origin), (.get, "/oauth/authorize", Self.origin),
                (.options, "/oauth/authorize", Self.origin), (.get, "/oauth/consent", Self.origin), (.options, "/v1/session", Self.origin),
            ] {
                let answer = try await send(api, method, path, headers: headers)
                #expect(answer[.accessControlAllowOrigin] == nil, "\(method) \(path)")
                #expect(answer[.accessControlAllowMethods] == nil, "\(method) \(path)")
            }
        }
    }
}
