import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Shared

/// The HTTP client every upstream call goes through (SPEC 5.4): pooled connections, no redirects
/// (a redirect could carry the server's credentials to another host), and each server's connect,
/// first-byte and idle timeouts. AsyncHTTPClient takes connect and read timeouts per client, so
/// there is one pooled client per distinct (connect, idle) pair; in practice a handful.
final class UpstreamClient: Service, Sendable {
    struct Timeouts: Hashable, Sendable {
        let connectMs: Int
        let idleMs: Int
    }

    private let clients = NIOLockedValueBox<[Timeouts: HTTPClient]>([:])

    /// The response head has arrived; the body streams on. Errors before the head are `UpstreamFailure`.
    struct Answer: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: HTTPClientResponse.Body
        /// From sending the request to the response head.
        let latencyNanoseconds: Int64
    }

    /// Sends one request upstream and waits for the response head, at most the server's
    /// first-byte timeout; the body then flows with the idle timeout between reads.
    func send(
        method: HTTPMethod, to server: SnapshotServer, headers: HTTPHeaders, body: [UInt8]?
    ) async throws(UpstreamFailure) -> Answer {
        var request = HTTPClientRequest(url: server.url)
        request.method = method
        request.headers = headers
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let client = client(for: Timeouts(connectMs: server.connectTimeoutMs, idleMs: server.idleTimeoutMs))
        let started = ContinuousClock.now
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(server.firstByteTimeoutMs)))
            return Answer(
                status: Int(response.status.code), headers: response.headers, body: response.body,
                latencyNanoseconds: (ContinuousClock.now - started).nanoseconds)
        } catch {
            throw UpstreamFailure(error)
        }
    }

    private func client(for timeouts: Timeouts) -> HTTPClient {
        clients.withLockedValue { clients in
            if let client = clients[timeouts] { return client }
            var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
            // A refused connection is answered at once (SPEC 5.4), not retried until the first-byte timeout.
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.timeout = .init(connect: .milliseconds(Int64(timeouts.connectMs)), read: .milliseconds(Int64(timeouts.idleMs)))
            configuration.connectionPool.idleTimeout = .seconds(60)
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
            configuration.decompression = .disabled
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[timeouts] = client
            return client
        }
    }

    /// Runs until shutdown, then closes every pooled connection.
    func run() async throws {
        try? await gracefulShutdown()
        let all = clients.withLockedValue { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
        for client in all { try? await client.shutdown() }
    }
}

/// Why an upstream could not be reached (SPEC 5.4); the reason is shown to the agent, so it names
/// the kind of failure, never a credential or header.
struct UpstreamFailure: Error, CustomStringConvertible {
    let reason: String

    init(reason: String) { self.reason = reason }

    init(_ error: any Error) {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded: reason = "no answer before the first-byte timeout"
        case let error as HTTPClientError where error == .connectTimeout: reason = "connect timeout"
        case let error as HTTPClientError where error == .readTimeout: reason = "idle timeout"
        case let error as HTTPClientError where error == .remoteConnectionClosed: reason = "connection closed by the upstream"
        case is NIOConnectionError, is ChannelError: reason = "connection failed"
        case let error as HTTPClientError: reason = "\(error)"
        default: reason = "connection failed"
        }
    }

    var description: String { reason }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
