import Foundation

/// An upstream URL that passed the SSRF guard, with the addresses that were checked.
///
/// Connect to `pinnedAddress`, never to a fresh resolution of `host`: a name can resolve to a
/// public address for the check and to 169.254.169.254 a second later (DNS rebinding). The MCP
/// client does this through AsyncHTTPClient's `dnsOverride` (`host` → `pinnedAddress`): the
/// request keeps the original URL, so the `Host` header and the TLS server name (SNI and
/// certificate check) stay the registered host while the socket goes to the checked address.
public struct PinnedUpstream: Sendable, Hashable {
    /// The URL as registered.
    public let url: URL
    /// The host as AsyncHTTPClient reads it from `url` (IPv6 without brackets).
    public let host: String
    /// Every address the host resolved to; all of them passed the check.
    public let addresses: [IPAddress]

    public init(url: URL, host: String, addresses: [IPAddress]) {
        precondition(!addresses.isEmpty, "a pinned upstream has at least one checked address")
        self.url = url
        self.host = host
        self.addresses = addresses
    }

    /// The address connections go to.
    public var pinnedAddress: IPAddress { addresses[0] }

    /// For `HTTPClient.Configuration.dnsOverride`.
    public var dnsOverride: [String: String] { [host: pinnedAddress.description] }
}
