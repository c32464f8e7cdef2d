import AsyncHTTPClient

/// What a tenant may read about a failed exchange with its upstream: a fixed kind (`timeout`,
/// `TLS`, `unreachable`) and a short phrase, never an address or the raw error (issue 10 item 9).
/// NIO's connection errors name the addresses they tried, which with a pinned connection is the
/// checked internal address; such detail belongs in the operator's log only. Used by the gateway's
/// upstream calls and by discovery (a server's `status_detail`).
public enum UpstreamConnectionFailure {
    public static func reason(for error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded: "timeout: no answer before the first-byte timeout"
        case let error as HTTPClientError where error == .connectTimeout: "timeout: connect"
        case let error as HTTPClientError where error == .readTimeout: "timeout: idle"
        case let error as HTTPClientError where error == .remoteConnectionClosed: "unreachable: connection closed by the upstream"
        case _ where isTLS(error): "TLS: handshake or certificate check failed"
        default: "unreachable: connection failed"
        }
    }

    /// NIOSSL's errors, recognised by their module: this package does not link NIOSSL itself.
    private static func isTLS(_ error: any Error) -> Bool {
        let type = String(reflecting: Swift.type(of: error))
        return type.hasPrefix("NIOSSL.") || type.contains("BoringSSL")
    }
}
