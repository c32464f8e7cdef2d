import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import Shared

/// The pooled AsyncHTTPClients upstream calls go through. AsyncHTTPClient takes the connect and
/// read timeouts and the DNS override per client, so there is one client per (connect timeout,
/// idle timeout, host → checked address), and per event loop: each client's connections live on
/// one loop, the one whose requests use it (issue 11 item 4). AsyncHTTPClient only prefers the
/// caller's loop and takes an idle connection on another loop when it has one, which puts two
/// threads on every call; a client per loop keeps the agent's request, the upstream call and the
/// answer on one thread.
///
/// Bounded (issue 10 item 15): a tenant registering many servers with distinct timeouts or hosts
/// cannot make a worker keep a client, and its pooled sockets, per server. Past `limit` the least
/// recently used client is evicted. AsyncHTTPClient's shutdown cancels requests in flight, so an
/// evicted client is shut down only once the last `Lease` on it is released (the answer whose body
/// is still streaming holds one): eviction never cuts a live stream.
final class UpstreamHTTPClients: Sendable {
    struct Key: Hashable, Sendable {
        let connectMs: Int
        let idleMs: Int
        /// The host as the request URL names it, and the checked address connections go to.
        let host: String
        let address: IPAddress
    }

    /// Keeps its client from being shut down while held.
    final class Lease: Sendable {
        let client: HTTPClient
        private let release: @Sendable () -> Void

        fileprivate init(client: HTTPClient, release: @escaping @Sendable () -> Void) {
            self.client = client
            self.release = release
        }

        deinit { release() }
    }

    /// A client's identity: what it is configured for, and the loop its connections live on.
    private struct Pool: Hashable {
        let key: Key
        let loop: ObjectIdentifier
    }

    private struct Slot {
        let client: HTTPClient
        var lastUse: UInt64
        var leases: Int
    }

    private struct State {
        var live: [Pool: Slot] = [:]
        /// Evicted clients with answers still streaming, by identity.
        var retiring: [ObjectIdentifier: Slot] = [:]
        var uses: UInt64 = 0
        var closed = false
    }

    let limit: Int
    /// The HTTP server's loops: a call made on one of them gets that loop's client.
    let eventLoopGroup: any EventLoopGroup
    private let state = NIOLockedValueBox(State())

    init(limit: Int, eventLoopGroup: any EventLoopGroup) {
        precondition(limit > 0, "at least one upstream HTTP client")
        self.limit = limit
        self.eventLoopGroup = eventLoopGroup
    }

    /// How many clients are open, evicted ones still streaming included.
    var openCount: Int { state.withLockedValue { $0.live.count + $0.retiring.count } }

    /// A client for `key` on the calling task's event loop (any loop of the group for a caller on
    /// none), made if needed; nil once the worker shuts down.
    func lease(_ key: Key) -> Lease? {
        let loop = eventLoopGroup.any()
        let pool = Pool(key: key, loop: ObjectIdentifier(loop))
        let leased: (client: HTTPClient, evicted: HTTPClient?)? = state.withLockedValue { state in
            guard !state.closed else { return nil }
            state.uses += 1
            if var slot = state.live[pool] {
                slot.lastUse = state.uses
                slot.leases += 1
                state.live[pool] = slot
                return (slot.client, nil)
            }
            var evicted: HTTPClient?
            if state.live.count >= limit, let oldest = state.live.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                state.live[oldest.key] = nil
                if oldest.value.leases == 0 {
                    evicted = oldest.value.client
                } else {
                    state.retiring[ObjectIdentifier(oldest.value.client)] = oldest.value
                }
            }
            let client = Self.makeClient(key, on: loop)
            state.live[pool] = Slot(client: client, lastUse: state.uses, leases: 1)
            return (client, evicted)
        }
        guard let leased else { return nil }
        if let evicted = leased.evicted { Self.shutDown(evicted) }
        let client = leased.client
        return Lease(client: client) { [weak self] in self?.release(client, pool) }
    }

    private func release(_ client: HTTPClient, _ pool: Pool) {
        let idle: HTTPClient? = state.withLockedValue { state in
            if var slot = state.live[pool], slot.client === client {
                slot.leases -= 1
                state.live[pool] = slot
                return nil
            }
            let id = ObjectIdentifier(client)
            guard var slot = state.retiring[id] else { return nil }
            slot.leases -= 1
            state.retiring[id] = slot.leases > 0 ? slot : nil
            return slot.leases > 0 ? nil : client
        }
        if let idle { Self.shutDown(idle) }
    }

    /// At graceful shutdown (or cancellation), closes every client, streaming or not, and makes
    /// no more.
    func run() async {
        try? await gracefulShutdown()
        let all = state.withLockedValue { state in
            state.closed = true
            defer { (state.live, state.retiring) = ([:], [:]) }
            return state.live.values.map(\.client) + state.retiring.values.map(\.client)
        }
        for client in all { try? await client.shutdown() }
    }

    /// An evicted client with nothing in flight: closed in the background, from a lock-free
    /// caller (a lease's deinit), without waiting.
    private static func shutDown(_ client: HTTPClient) {
        let closed: EventLoopFuture<Void> = client.shutdown()
        closed.whenComplete { _ in }
    }

    private static func makeClient(_ key: Key, on loop: any EventLoop) -> HTTPClient {
        var configuration = HTTPClient.Configuration.untrustedHost(
            key.host, pinnedTo: key.address, connectTimeout: .milliseconds(Int64(key.connectMs)), readTimeout: .milliseconds(Int64(key.idleMs)))
        configuration.connectionPool.idleTimeout = .seconds(60)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        // A group of one loop: every connection of this client is made on it.
        return HTTPClient(eventLoopGroup: loop, configuration: configuration)
    }
}
