import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import Shared

/// The pooled AsyncHTTPClients upstream calls go through. AsyncHTTPClient takes the connect and
/// read timeouts and the DNS override per client, so there is one client per (connect timeout,
/// idle timeout, host → checked address).
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

    private struct Slot {
        let client: HTTPClient
        var lastUse: UInt64
        var leases: Int
    }

    private struct State {
        var live: [Key: Slot] = [:]
        /// Evicted clients with answers still streaming, by identity.
        var retiring: [ObjectIdentifier: Slot] = [:]
        var uses: UInt64 = 0
        var closed = false
    }

    let limit: Int
    /// The gateway's HTTP server's loops (issue 11 item 4): AsyncHTTPClient prefers the loop the
    /// calling task runs on (`EventLoopGroup.any()`), so a request's upstream call, and the
    /// pooled connection it reuses or opens, stay on the loop that read the agent's request.
    let eventLoopGroup: any EventLoopGroup
    private let state = NIOLockedValueBox(State())

    init(limit: Int, eventLoopGroup: any EventLoopGroup) {
        precondition(limit > 0, "at least one upstream HTTP client")
        self.limit = limit
        self.eventLoopGroup = eventLoopGroup
    }

    /// How many clients are open, evicted ones still streaming included.
    var openCount: Int { state.withLockedValue { $0.live.count + $0.retiring.count } }

    /// A client for `key`, made if needed; nil once the worker shuts down.
    func lease(_ key: Key) -> Lease? {
        let leased: (client: HTTPClient, evicted: HTTPClient?)? = state.withLockedValue { state in
            guard !state.closed else { return nil }
            state.uses += 1
            if var slot = state.live[key] {
                slot.lastUse = state.uses
                slot.leases += 1
                state.live[key] = slot
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
            let client = Self.makeClient(key, on: eventLoopGroup)
            state.live[key] = Slot(client: client, lastUse: state.uses, leases: 1)
            return (client, evicted)
        }
        guard let leased else { return nil }
        if let evicted = leased.evicted { Self.shutDown(evicted) }
        let client = leased.client
        return Lease(client: client) { [weak self] in self?.release(client, key) }
    }

    private func release(_ client: HTTPClient, _ key: Key) {
        let idle: HTTPClient? = state.withLockedValue { state in
            if var slot = state.live[key], slot.client === client {
                slot.leases -= 1
                state.live[key] = slot
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

    private static func makeClient(_ key: Key, on eventLoopGroup: any EventLoopGroup) -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        // A refused connection is answered at once (SPEC 5.4), not retried until the first-byte timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .milliseconds(Int64(key.connectMs)), read: .milliseconds(Int64(key.idleMs)))
        configuration.connectionPool.idleTimeout = .seconds(60)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        configuration.decompression = .disabled
        // The socket goes to the checked address while the URL, hence Host and the TLS server
        // name, stay the registered host (`PinnedUpstream`).
        configuration.dnsOverride = [key.host: key.address.description]
        return HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration)
    }
}
