import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
import Shared
import Synchronization

@testable import ControlPlane
import JSON

/// The issuer and gateway the OAuth tests run under.
let testIssuer = "https://portcullis.example.com"
let testGatewayBase = "https://mcp.example.com"

/// `withAPI` with the authorization server on: signing keys sealed under `testSecretKeys`, loopback
/// allowed for Client ID Metadata Documents the tests serve themselves.
func withOAuthAPI(
    configure: @escaping (inout APIConfiguration) -> Void = { _ in },
    _ body: @Sendable (APIClient, Database) async throws -> Void
) async throws {
    try await withAPI(configure: { configuration in
        allowLoopbackUpstreams(&configuration)
        configuration.publicGatewayURL = testGatewayBase
        configuration.oauth = OAuthSettings(
            issuer: testIssuer, accessTokenLifetime: .seconds(600),
            keySealer: SecretSealer(keyRing: try! SecretKeyRing(parsing: testSecretKeys), purpose: .oauthSigningKeys))
        configure(&configuration)
    }, body)
}

/// A PKCE pair.
struct PKCEPair {
    let verifier = "v" + (0..<5).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "") }.joined().prefix(60)
    var challenge: String { PKCE.challenge(of: verifier) }
}

/// One run of the code flow as a client and a member drive it.
struct OAuthFlow {
    let api: APIClient
    let clientID: String
    let redirectURI: String
    var pkce = PKCEPair()
    var state = "state-\(UUID().uuidString.prefix(8))"

    func authorizeQuery(resource: String, scope: String? = nil, method: String? = "S256", redirectURI: String? = nil) -> String {
        var items = [
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirectURI ?? self.redirectURI),
            ("code_challenge", pkce.challenge), ("state", state), ("resource", resource),
        ]
        if let method { items.append(("code_challenge_method", method)) }
        if let scope { items.append(("scope", scope)) }
        return "/oauth/authorize?" + formEncoded(items)
    }

    /// `/oauth/authorize` up to the consent page: the pending request's id.
    func requestID(resource: String, scope: String? = nil) async throws -> String {
        let response = try await api.send(.get, authorizeQuery(resource: resource, scope: scope))
        guard response.status == .seeOther, let location = response.headers[.location],
              location.hasPrefix(testIssuer + "/oauth/consent?request="),
              let id = URLComponents(string: location)?.queryItems?.first(where: { $0.name == "request" })?.value
        else { throw TestFailure("authorize did not send to consent: \(response.status) \(String(describing: response.headers[.location]))") }
        return id
    }

    /// The member allows: the code the redirect carries.
    func allow(_ requestID: String, by member: Caller, identityLabel: String = "agent-1", policyID: String? = nil) async throws -> String {
        let decision = try await api.send(.post, "/v1/oauth/requests/\(requestID)/decision", key: member.key, json: [
            "decision": "allow", "identity_label": .string(identityLabel), "policy_id": policyID.map(JSONValue.string) ?? .null,
        ])
        guard decision.status == .ok, let target = decision["redirect_to"]?.stringValue, let items = URLComponents(string: target)?.queryItems,
              items.first(where: { $0.name == "state" })?.value == state, items.first(where: { $0.name == "iss" })?.value == testIssuer,
              let code = items.first(where: { $0.name == "code" })?.value
        else { throw TestFailure("allow failed: \(decision.status) \(String(describing: decision.json))") }
        return code
    }

    func exchange(_ code: String, resource: String? = nil, verifier: String? = nil, redirectURI: String? = nil) async throws -> APIResponse {
        var fields = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI ?? self.redirectURI),
            ("code_verifier", verifier ?? pkce.verifier), ("client_id", clientID),
        ]
        if let resource { fields.append(("resource", resource)) }
        return try await api.form("/oauth/token", fields)
    }

    func refresh(_ token: String) async throws -> APIResponse {
        try await api.form("/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", clientID)])
    }

    /// Authorize, allow, exchange: the token answer.
    func tokens(resource: String, member: Caller) async throws -> APIResponse {
        let code = try await allow(try await requestID(resource: resource), by: member)
        let answer = try await exchange(code)
        guard answer.status == .ok else { throw TestFailure("token exchange failed: \(answer.status) \(String(describing: answer.json))") }
        return answer
    }
}

func formEncoded(_ items: [(String, String)]) -> String {
    let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    return items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
}

extension APIClient {
    /// A form POST, as OAuth clients send to the token and revocation endpoints.
    func form(_ path: String, _ fields: [(String, String)], headers extra: HTTPFields = [:]) async throws -> APIResponse {
        var headers = extra
        headers[.contentType] = "application/x-www-form-urlencoded"
        let response = try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: formEncoded(fields)))
        return APIResponse(status: response.status, headers: response.headers, json: try? JSONValue.parse(Array(buffer: response.body)))
    }

    /// A public client registered by RFC 7591.
    func registerPublicClient(redirectURI: String = "http://127.0.0.1:33418/callback") async throws -> OAuthFlow {
        let response = try await send(.post, "/oauth/register", json: [
            "redirect_uris": [.string(redirectURI)], "client_name": "Test Client", "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
        ])
        guard response.status == .created, let id = response["client_id"]?.stringValue else {
            throw TestFailure("registration failed: \(response.status) \(String(describing: response.json))")
        }
        return OAuthFlow(api: self, clientID: id, redirectURI: redirectURI)
    }

    /// The access token's claims, verified with the keys `/oauth/jwks` publishes.
    func verifiedClaims(_ token: String) async throws -> AccessTokenClaims {
        let jwks = try await send(.get, "/oauth/jwks")
        let keys = JWTKeyCollection()
        try await keys.add(jwksJSON: jwks.json!.serialized())
        return try await keys.verify(token, as: AccessTokenClaims.self)
    }
}

/// A Client ID Metadata Document served on a loopback port for the duration of `body`; the
/// document's `client_id` is its own URL unless `claimedID` says otherwise; `padding` bytes of
/// filler make it as large as a test needs.
/// Serves a Client ID Metadata Document on loopback for `body`. `trickle`: the answer's head at once,
/// then its body one byte a second (and no more than 60 bytes), as a slow hostile server would.
func withClientMetadataDocument<T: Sendable>(
    redirectURI: String, claimedID: String? = nil, padding: Int = 0, trickle: Bool = false, _ body: (String) async throws -> T
) async throws -> T {
    let port = Mutex<Int>(0)
    let router = Router()
    router.get("/client.json") { _, _ -> Response in
        let url = "http://127.0.0.1:\(port.withLock { $0 })/client.json"
        let document: JSONValue = [
            "client_id": .string(claimedID ?? url), "client_name": "Metadata Client", "redirect_uris": [.string(redirectURI)],
            "token_endpoint_auth_method": "none", "padding": .string(String(repeating: "x", count: padding)),
        ]
        guard trickle else {
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: document.serialized())))
        }
        let bytes = Array(document.serialized().utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
            // Ends when the fetcher hangs up (the write fails) or after 60 bytes.
            for byte in bytes.prefix(60) {
                try await writer.write(ByteBuffer(bytes: [byte]))
                try await Task.sleep(for: .seconds(1))
            }
            try await writer.finish(nil)
        })
    }
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) },
        logger: Logger(label: "test.client-metadata") { _ in SwiftLogNoOpLogHandler() })
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else { throw CancellationError() }
        port.withLock { $0 = bound }
        let value = try await body("http://127.0.0.1:\(bound)/client.json")
        group.cancelAll()
        return value
    }
}
