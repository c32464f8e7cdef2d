import AsyncHTTPClient
import NIOCore
import NIOPosix

/// Why an upstream could not be reached (SPEC 5.4). The reason reaches the agent (-32603
/// `Upstream MCP server unavailable: <reason>`) and the tenant's audit log, so it starts with a
/// fixed kind (refused, timeout, TLS, unreachable) and never carries an address, a raw error or a
/// credential (issue 10 item 9): a tenant must not learn what its upstream's name resolves to
/// inside the operator's network. Details go to the worker's log.
struct UpstreamFailure: Error, CustomStringConvertible {
    let reason: String

    init(reason: String) { self.reason = reason }

    static let addressRefused = UpstreamFailure(reason: "refused: the upstream address is not allowed")
    static let shuttingDown = UpstreamFailure(reason: "unreachable: the gateway worker is shutting down")

    init(_ error: any Error) {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded: reason = "timeout: no answer before the first-byte timeout"
        case let error as HTTPClientError where error == .connectTimeout: reason = "timeout: connect"
        case let error as HTTPClientError where error == .readTimeout: reason = "timeout: idle"
        case let error as HTTPClientError where error == .remoteConnectionClosed: reason = "unreachable: connection closed by the upstream"
        case _ where Self.isTLS(error): reason = "TLS: handshake or certificate check failed"
        default: reason = "unreachable: connection failed"
        }
    }

    /// NIOSSL's errors, recognised by their module: the gateway does not link NIOSSL itself.
    private static func isTLS(_ error: any Error) -> Bool {
        let type = String(reflecting: Swift.type(of: error))
        return type.hasPrefix("NIOSSL.") || type.contains("BoringSSL")
    }

    var description: String { reason }
}
