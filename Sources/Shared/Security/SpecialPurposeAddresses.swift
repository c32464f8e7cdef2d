/// Address ranges an upstream must not point into unless the operator allowlists them: they
/// reach the gateway host itself, the operator's private network or a cloud metadata service
/// (the SSRF guard, design.md §5.4). Names follow the IANA special-purpose registries
/// (iana-ipv4-special-registry, iana-ipv6-special-registry): every block there that is not
/// globally reachable is here. The few that are (AS112 192.31.196.0/24, 192.175.48.0/24,
/// 2620:4f:8000::/48, AMT 192.52.193.0/24) stay reachable; 2001::/23 is refused whole although a
/// few of its assignments are global, since Teredo (2001::/32) tunnels to an obfuscated IPv4 address.
enum SpecialPurposeAddresses {
    struct Range: Sendable {
        let network: IPNetwork
        let kind: String
    }

    /// Most specific first: the first match names the address.
    static let ipv4: [Range] = [
        range("169.254.169.254/32", "a link-local address (cloud metadata)"),
        range("0.0.0.0/32", "the unspecified address"),
        range("255.255.255.255/32", "the broadcast address"),
        range("0.0.0.0/8", "a 'this network' address"),
        range("127.0.0.0/8", "a loopback address"),
        range("10.0.0.0/8", "a private address"),
        range("172.16.0.0/12", "a private address"),
        range("192.168.0.0/16", "a private address"),
        range("100.64.0.0/10", "a carrier-grade NAT address"),
        range("169.254.0.0/16", "a link-local address"),
        range("192.0.0.0/24", "an IETF protocol assignment address"),
        range("192.0.2.0/24", "a documentation address"),
        range("198.51.100.0/24", "a documentation address"),
        range("203.0.113.0/24", "a documentation address"),
        range("192.88.99.0/24", "a 6to4 relay anycast address"),
        range("198.18.0.0/15", "a benchmarking address"),
        range("224.0.0.0/4", "a multicast address"),
        range("240.0.0.0/4", "a reserved address"),
    ]

    static let ipv6: [Range] = [
        range("::/128", "the unspecified address"),
        range("::1/128", "a loopback address"),
        range("64:ff9b:1::/48", "a local-use NAT64 address"),
        range("fc00::/7", "a unique-local address"),
        range("fe80::/10", "a link-local address"),
        range("fec0::/10", "a site-local address"),
        range("ff00::/8", "a multicast address"),
        range("100::/64", "a discard-only address"),
        range("100:0:0:1::/64", "a dummy IPv6 prefix address"),
        range("2001:db8::/32", "a documentation address"),
        range("2001::/23", "an IETF protocol assignment address"),
        range("3fff::/20", "a documentation address"),
        range("5f00::/16", "a segment routing address"),
    ]

    /// IPv6 prefixes that carry an IPv4 address in their low 32 bits: the connection ends up at
    /// that IPv4 address, so it is judged instead (`::ffff:127.0.0.1` is loopback).
    static let embeddingIPv4: [Range] = [
        range("::ffff:0:0/96", "IPv4-mapped"),
        range("64:ff9b::/96", "NAT64"),
        range("::/96", "IPv4-compatible"),
    ]

    /// 6to4 (`2002:AABB:CCDD::/48`) carries its IPv4 address in bits 16-47.
    static let sixToFour = range("2002::/16", "6to4")

    private static func range(_ cidr: String, _ kind: String) -> Range {
        guard let network = IPNetwork(cidr) else { preconditionFailure("bad built-in range \(cidr)") }
        return Range(network: network, kind: kind)
    }
}
