import Foundation
import Hummingbird
import JSON
import Logging
import NIOCore
import Shared
import Synchronization

/// A minimal OpenID provider on a loopback port (issue 14 item 4): its discovery document names
/// its own URL as `issuer` and `<url>/jwks` as `jwks_uri`, which lists the public keys of `keys`.
/// Tests change the keys (a rotation) or make either document hostile between fetches.
public final class LocalOIDCIssuer: Sendable {
    private struct State {
        var keys: [TestIssuerKey]
        /// Replaces the discovery document's members (e.g. another `issuer`, a private `jwks_uri`).
        var discoveryOverrides: [String: JSONValue] = [:]
        /// Replaces the JWKS body with these bytes (huge, malformed).
        var jwksBody: [UInt8]?
        var jwksFetches = 0
    }

    private let state: Mutex<State>
    public let port: Int

    private init(keys: [TestIssuerKey], port: Int) {
        state = Mutex(State(keys: keys))
        self.port = port
    }

    /// The issuer identifier, which is also where its documents are served.
    public var url: String { "http://127.0.0.1:\(port)" }

    public var keys: [TestIssuerKey] {
        get { state.withLock { $0.keys } }
    }

    public func setKeys(_ keys: [TestIssuerKey]) { state.withLock { $0.keys = keys } }
    public func overrideDiscovery(_ members: [String: JSONValue]) { state.withLock { $0.discoveryOverrides = members } }
    public func serveJWKS(_ body: [UInt8]?) { state.withLock { $0.jwksBody = body } }
    public var jwksFetches: Int { state.withLock { $0.jwksFetches } }

    /// Runs an issuer with `keys` for the duration of `body`.
    public static func run<T: Sendable>(keys: [TestIssuerKey], _ body: (LocalOIDCIssuer) async throws -> T) async throws -> T {
        let box = Mutex<LocalOIDCIssuer?>(nil)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            box.withLock { $0 }!.answer(request)
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) },
            logger: Logger(label: "test.local-oidc-issuer") { _ in SwiftLogNoOpLogHandler() }
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let issuer = LocalOIDCIssuer(keys: keys, port: port)
            box.withLock { $0 = issuer }
            let value = try await body(issuer)
            group.cancelAll()
            return value
        }
    }

    private func answer(_ request: Request) -> Response {
        switch request.uri.path {
        case "/.well-known/openid-configuration":
            var document = JSONObject([("issuer", .string(url)), ("jwks_uri", .string(url + "/jwks"))])
            for (name, value) in state.withLock({ $0.discoveryOverrides }) { document[name] = value }
            return Self.json(JSONValue.object(document).serializedBytes())
        case "/jwks":
            let (keys, body) = state.withLock { state in
                state.jwksFetches += 1
                return (state.keys, state.jwksBody)
            }
            return Self.json(body ?? JSONValue.object(JSONObject([("keys", .array(keys.map(\.jwk)))])).serializedBytes())
        default:
            return Response(status: .notFound)
        }
    }

    private static func json(_ bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
