import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import Shared

/// The control plane as a worker sees it, with OAuth entities added to every snapshot and delta
/// (issue 14): the gateway's tests play the authorization server themselves (`AccessTokenMint`),
/// so the signing keys and authorizations a real control plane would publish come from here.
/// Everything else of the worker API goes through to the real control plane unchanged.
final class OAuthSnapshotProxy: Sendable {
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }
    private let added: NIOLockedValueBox<SnapshotEntities>
    private let serviceGroup: ServiceGroup
    private let running: Task<Void, any Error>

    private init(port: Int, added: NIOLockedValueBox<SnapshotEntities>, serviceGroup: ServiceGroup, running: Task<Void, any Error>) {
        self.port = port
        self.added = added
        self.serviceGroup = serviceGroup
        self.running = running
    }

    /// Changes the entities added; a worker sees the change with the next delta it receives.
    func update(_ change: @Sendable (inout SnapshotEntities) -> Void) {
        added.withLockedValue { change(&$0) }
    }

    static func withRunning<T>(
        forwardingTo controlPlane: String, adding entities: SnapshotEntities, _ body: (OAuthSnapshotProxy) async throws -> T
    ) async throws -> T {
        let added = NIOLockedValueBox(entities)
        var logger = Logger(label: "oauth-snapshot-proxy")
        logger.logLevel = .warning
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router(forwardingTo: controlPlane, added: added),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let running = Task {
            defer { portContinuation.finish() }
            try await serviceGroup.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port != 0 else {
            running.cancel()
            throw FixtureError("the snapshot proxy did not start")
        }
        let proxy = OAuthSnapshotProxy(port: port, added: added, serviceGroup: serviceGroup, running: running)
        do {
            let result = try await body(proxy)
            await proxy.stop()
            return result
        } catch {
            await proxy.stop()
            throw error
        }
    }

    /// A worker's long poll may still be open: it ends with the server.
    private func stop() async {
        await serviceGroup.triggerGracefulShutdown()
        _ = await running.result
    }

    private static func router(forwardingTo controlPlane: String, added: NIOLockedValueBox<SnapshotEntities>) -> Router<BasicRequestContext> {
        let router = Router()
        router.on("/internal/v1/**", method: .get) { request, _ in try await forward(request, to: controlPlane, added: added) }
        router.on("/internal/v1/**", method: .post) { request, _ in try await forward(request, to: controlPlane, added: added) }
        return router
    }

    private static func forward(_ request: Request, to controlPlane: String, added: NIOLockedValueBox<SnapshotEntities>) async throws -> Response {
        var outgoing = HTTPClientRequest(url: controlPlane + request.uri.description)
        outgoing.method = .init(rawValue: request.method.rawValue)
        for field in request.headers { outgoing.headers.add(name: field.name.rawName, value: field.value) }
        outgoing.body = .bytes(try await request.body.collect(upTo: 1 << 20))
        let response = try await HTTPClient.shared.execute(outgoing, timeout: .seconds(60))
        var body = try await response.body.collect(upTo: 256 << 20)
        if request.uri.path == "/internal/v1/snapshot", response.status == .ok {
            let entities = added.withLockedValue { $0 }
            let data = Data(body.readableBytesView)
            let encoded: Data
            if request.uri.queryParameters["since"] != nil {
                var delta = try SnapshotCoding.decoder().decode(SnapshotDelta.self, from: data)
                delta.upserts.oauthSigningKeys += entities.oauthSigningKeys
                delta.upserts.oauthAuthorizations += entities.oauthAuthorizations
                encoded = try SnapshotCoding.encoder().encode(delta)
            } else {
                var snapshot = try SnapshotCoding.decoder().decode(FullSnapshot.self, from: data)
                snapshot.entities.oauthSigningKeys += entities.oauthSigningKeys
                snapshot.entities.oauthAuthorizations += entities.oauthAuthorizations
                encoded = try SnapshotCoding.encoder().encode(snapshot)
            }
            body = ByteBuffer(bytes: encoded)
        }
        return Response(
            status: .init(code: Int(response.status.code)), headers: [.contentType: response.headers.first(name: "content-type") ?? "application/json"],
            body: .init(byteBuffer: body))
    }
}
