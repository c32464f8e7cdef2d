import Foundation

/// The SSRF guard for upstream URLs (issue 4): https only unless the operator allows http, and
/// the host, resolved, must not be loopback, private, link-local, CGNAT, multicast, cloud
/// metadata or any other special-purpose address unless the operator allowlists it.
///
/// Every resolved address must pass, not just one: connections go to the first (see
/// `PinnedUpstream`), but a name that also resolves inward is not one to trust.
public struct UpstreamAddressGuard: Sendable {
    public let policy: UpstreamAddressPolicy
    private let resolver: any HostResolver

    public init(policy: UpstreamAddressPolicy, resolver: any HostResolver = SystemHostResolver()) {
        self.policy = policy
        self.resolver = resolver
    }

    /// The same guard with `cidrs` allowed as well: an account's operator-granted allowance
    /// (`controlplane account-upstream-cidrs`, issue 10 item 9) on top of the installation's
    /// `--allow-upstream-cidr`. The operator command stores only valid blocks; anything else
    /// allows nothing.
    public func allowing(cidrs: [String]) -> UpstreamAddressGuard {
        guard !cidrs.isEmpty else { return self }
        var widened = policy
        widened.allowedNetworks += cidrs.compactMap(IPNetwork.init)
        return UpstreamAddressGuard(policy: widened, resolver: resolver)
    }

    public func check(_ text: String) async throws(UpstreamAddressRefusal) -> PinnedUpstream {
        let (url, host) = try parse(text)
        let addresses: [IPAddress]
        if let literal = IPAddress(hostLiteral: host) {
            if let reason = policy.refusalReason(for: literal) { throw UpstreamAddressRefusal(.forbiddenAddress, reason) }
            addresses = [literal]
        } else if Self.endsInNumber(host) {
            // inet_aton and browsers would read such a host as a number; refuse rather than guess.
            throw UpstreamAddressRefusal(.invalidURL, "\(host) looks like a numeric address but is not a valid one")
        } else {
            do throws(HostResolutionError) {
                addresses = try await resolver.addresses(of: host)
            } catch {
                throw UpstreamAddressRefusal(.unresolvable, error.description)
            }
            guard !addresses.isEmpty else { throw UpstreamAddressRefusal(.unresolvable, "\(host) resolves to no address") }
            // The kind only, not the address: the reason reaches the tenant (a 400, a server's
            // status_detail), who must not learn the operator's internal DNS (issue 10 item 9).
            for address in addresses {
                guard let range = policy.forbiddenRange(of: address) else { continue }
                throw UpstreamAddressRefusal(.forbiddenAddress, "\(host) resolves to \(range.kind)")
            }
        }
        return PinnedUpstream(url: url, host: host, addresses: addresses)
    }

    /// Reads the URL exactly as AsyncHTTPClient does (Foundation `URL`, host without IPv6
    /// brackets), so the host checked here is the host the client would have connected to.
    private func parse(_ text: String) throws(UpstreamAddressRefusal) -> (URL, String) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else {
            throw UpstreamAddressRefusal(.invalidURL, "not an absolute URL")
        }
        switch scheme {
        case "https": break
        case "http" where policy.allowsPlainHTTP: break
        case "http": throw UpstreamAddressRefusal(.invalidURL, "plain http upstreams are not allowed by the operator; use https")
        default: throw UpstreamAddressRefusal(.invalidURL, "scheme \(scheme) is not allowed; use https")
        }
        guard url.user == nil, url.password == nil else {
            throw UpstreamAddressRefusal(.invalidURL, "credentials in the URL are not allowed; use the server's upstream auth")
        }
        guard var host = url.host, !host.isEmpty else { throw UpstreamAddressRefusal(.invalidURL, "the URL has no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (url, host)
    }

    /// WHATWG URL's "ends in a number": the last label is digits or `0x` hex.
    private static func endsInNumber(_ host: String) -> Bool {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard var last = labels.last else { return false }
        if last.isEmpty, labels.count > 1 { last = labels[labels.count - 2] }
        let lower = last.lowercased()
        if lower.hasPrefix("0x") { return lower.dropFirst(2).allSatisfy(\.isHexDigit) }
        return !lower.isEmpty && lower.allSatisfy(\.isNumber) && lower.allSatisfy(\.isASCII)
    }
}
