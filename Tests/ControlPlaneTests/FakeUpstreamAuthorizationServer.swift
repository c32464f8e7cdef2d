import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Shared
import Synchronization

@testable import ControlPlane
import JSON

/// An OAuth-protected MCP upstream and its authorization server on one loopback port (issue 14
/// item 5), as the MCP authorization specification describes them: `POST /mcp` without a token
/// answers 401 naming its Protected Resource Metadata; the metadata names this server as issuer;
/// `/register`, `/authorize` (auto-approves, redirects with `code`, `state`, `iss`) and `/token`
/// (PKCE S256 and `resource` checked, refresh tokens rotated) behave as a real one. Tests make any
/// part hostile between steps.
final class FakeUpstreamAuthorizationServer: Sendable {
    struct State {
        /// Members replacing the authorization server's metadata (null removes one).
        var metadataOverrides: [String: JSONValue] = [:]
        var resourceMetadataOverrides: [String: JSONValue] = [:]
        /// A raw answer for the metadata documents (status, headers, body), e.g. a redirect or a huge body.
        var metadataAnswer: (status: HTTPResponse.Status, headers: HTTPFields, body: [UInt8])?
        /// Replaces the token endpoint's successful answer.
        var tokenAnswer: JSONValue?
        var expiresIn = 3600
        var codes: [String: (challenge: String, resource: String?, clientID: String)] = [:]
        var liveRefreshTokens: Set<String> = []
        var codesIssued = 0
        var tokensIssued = 0
        var tokenRequests: [[String: String]] = []
        var registrations = 0
    }

    let state = Mutex(State())
    let port: Int

    private init(port: Int) { self.port = port }

    var url: String { "http://127.0.0.1:\(port)" }
    var mcpURL: String { url + "/mcp" }

    func update(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }
    var tokenRequests: [[String: String]] { state.withLock { $0.tokenRequests } }

    /// Revokes every refresh token it issued (an admin at the upstream ending the grant).
    func revokeAll() { state.withLock { $0.liveRefreshTokens = [] } }

    static func run<T: Sendable>(_ body: (FakeUpstreamAuthorizationServer) async throws -> T) async throws -> T {
        let box = Mutex<FakeUpstreamAuthorizationServer?>(nil)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            try await box.withLock { $0 }!.answer(request)
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) },
            logger: Logger(label: "test.fake-upstream-as") { _ in SwiftLogNoOpLogHandler() }
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let server = FakeUpstreamAuthorizationServer(port: port)
            box.withLock { $0 = server }
            let value = try await body(server)
            group.cancelAll()
            return value
        }
    }

    private func answer(_ request: Request) async throws -> Response {
        switch (request.method, request.uri.path) {
        case (.post, "/mcp"):
            var headers: HTTPFields = [:]
            headers[.wwwAuthenticate] = "Bearer resource_metadata=\"\(url)/.well-known/oauth-protected-resource/mcp\", scope=\"tools:read\""
            return Response(status: .unauthorized, headers: headers)
        case (.get, "/.well-known/oauth-protected-resource/mcp"):
            let document = JSONObject([
                ("resource", .string(mcpURL)), ("authorization_servers", .array([.string(url)])), ("scopes_supported", ["tools:read"]),
            ])
            return metadata(document, overrides: state.withLock { $0.resourceMetadataOverrides })
        case (.get, "/.well-known/oauth-authorization-server"):
            let document = JSONObject([
                ("issuer", .string(url)), ("authorization_endpoint", .string(url + "/authorize")), ("token_endpoint", .string(url + "/token")),
                ("registration_endpoint", .string(url + "/register")), ("code_challenge_methods_supported", ["S256"]),
                ("authorization_response_iss_parameter_supported", true),
            ])
            return metadata(document, overrides: state.withLock { $0.metadataOverrides })
        case (.post, "/register"):
            state.withLock { $0.registrations += 1 }
            return Self.json(["client_id": "fake-client", "client_id_issued_at": 1], status: .created)
        case (.get, "/authorize"):
            return authorize(request.uri.queryParameters)
        case (.post, "/token"):
            let body = String(buffer: try await request.body.collect(upTo: 64 * 1024))
            var form: [String: String] = [:]
            for (name, value) in URI("/?" + body.replacingOccurrences(of: "+", with: "%20")).queryParameters { form[String(name)] = String(value) }
            return token(form)
        default:
            return Response(status: .notFound)
        }
    }

    private func metadata(_ document: JSONObject, overrides: [String: JSONValue]) -> Response {
        if let raw = state.withLock({ $0.metadataAnswer }) {
            return Response(status: raw.status, headers: raw.headers, body: .init(byteBuffer: ByteBuffer(bytes: raw.body)))
        }
        var document = document
        for (name, value) in overrides { document[name] = value.isNull ? nil : value }
        return Self.json(.object(document))
    }

    private func authorize(_ query: FlatDictionary<Substring, Substring>) -> Response {
        guard query["code_challenge_method"] == "S256", let challenge = query["code_challenge"], let redirect = query["redirect_uri"],
              let clientID = query["client_id"]
        else { return Response(status: .badRequest) }
        let code = state.withLock { state in
            state.codesIssued += 1
            let code = "code-\(state.codesIssued)"
            state.codes[code] = (String(challenge), query["resource"].map(String.init), String(clientID))
            return code
        }
        let location = OAuthRedirect.url(String(redirect), [("code", code), ("state", query["state"].map(String.init)), ("iss", url)])
        return Response(status: .found, headers: [.location: location])
    }

    private func token(_ form: [String: String]) -> Response {
        let answer = state.withLock { state -> Response in
            state.tokenRequests.append(form)
            switch form["grant_type"] {
            case "authorization_code":
                guard let code = form["code"], let issued = state.codes.removeValue(forKey: code), issued.clientID == form["client_id"],
                      let verifier = form["code_verifier"], PKCE.challenge(of: verifier) == issued.challenge, issued.resource == form["resource"]
                else { return Self.json(["error": "invalid_grant"], status: .badRequest) }
            case "refresh_token":
                guard let presented = form["refresh_token"], state.liveRefreshTokens.remove(presented) != nil else {
                    let description = "refresh token \(form["refresh_token"] ?? "") is revoked"
                    return Self.json(["error": "invalid_grant", "error_description": .string(description)], status: .badRequest)
                }
            default:
                return Self.json(["error": "unsupported_grant_type"], status: .badRequest)
            }
            if let replaced = state.tokenAnswer { return Self.json(replaced) }
            state.tokensIssued += 1
            let refresh = "refresh-\(state.tokensIssued)"
            state.liveRefreshTokens.insert(refresh)
            return Self.json([
                "access_token": .string("access-\(state.tokensIssued)"), "token_type": "Bearer", "expires_in": .number(JSONNumber(state.expiresIn)),
                "refresh_token": .string(refresh),
            ])
        }
        return answer
    }

    private static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: value.serializedBytes())))
    }
}
