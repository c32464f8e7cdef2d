import AsyncHTTPClient
import NIOCore

extension HTTPClient.Configuration {
    /// The one configuration of every HTTP client that talks to a host a tenant named: upstream
    /// MCP servers (the worker's calls, the control plane's discovery), approval webhooks, and the
    /// documents the control plane fetches for OAuth clients and trusted issuers.
    ///
    /// - Redirects are refused: a 3xx could send the request to an address the SSRF guard never
    ///   checked (`UpstreamAddressGuard`).
    /// - The socket goes to the checked `address` (`dnsOverride`) while the URL, hence `Host` and
    ///   the TLS server name, stay `host`: a second resolution could answer differently (DNS
    ///   rebinding, `PinnedUpstream`).
    /// - A connection that cannot be made fails the request at once (design.md §5.4): AsyncHTTPClient
    ///   would otherwise retry it until the request's deadline and report a refused upstream as a
    ///   timeout; the callers that retry (approval webhooks) do so themselves.
    /// - Bodies pass as sent (no decompression): the gateway relays bytes.
    ///
    /// `readTimeout` bounds the silence between two reads (an upstream's idle timeout); nil leaves
    /// it to the request's deadline.
    public static func untrustedHost(
        _ host: String, pinnedTo address: IPAddress, connectTimeout: TimeAmount, readTimeout: TimeAmount? = nil
    ) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: Timeout(connect: connectTimeout, read: readTimeout),
            decompression: .disabled)
        configuration.dnsOverride = [host: address.description]
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    /// For an upstream fresh from the SSRF guard.
    public static func untrustedHost(_ upstream: PinnedUpstream, connectTimeout: TimeAmount) -> HTTPClient.Configuration {
        untrustedHost(upstream.host, pinnedTo: upstream.pinnedAddress, connectTimeout: connectTimeout)
    }
}
