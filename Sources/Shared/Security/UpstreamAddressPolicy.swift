/// What the operator allows upstream URLs to point at (`--allow-upstream-cidr`, plain http).
public struct UpstreamAddressPolicy: Sendable {
    /// Plain `http` upstreams; off by default because credentials would cross the network in clear.
    public var allowsPlainHTTP: Bool
    /// Networks accepted even though they are special-purpose (the demo's and the tests' loopback).
    public var allowedNetworks: [IPNetwork]

    public init(allowsPlainHTTP: Bool = false, allowedNetworks: [IPNetwork] = []) {
        self.allowsPlainHTTP = allowsPlainHTTP
        self.allowedNetworks = allowedNetworks
    }

    /// Why `address` may not be an upstream, as a sentence ("169.254.169.254 is a link-local
    /// address (cloud metadata)"), or nil when it may.
    public func refusalReason(for address: IPAddress) -> String? {
        forbiddenKind(of: address).map { "\(address) is \($0)" }
    }

    /// "a loopback address", "IPv4-mapped 127.0.0.1, a loopback address"; nil when allowed.
    func forbiddenKind(of address: IPAddress) -> String? {
        forbiddenRange(of: address).map { range in range.carrier.map { "\($0), \(range.kind)" } ?? range.kind }
    }

    /// The special-purpose range an address falls in: its kind ("a loopback address") and, for
    /// an IPv6 address that carries an IPv4 one, how ("IPv4-mapped 127.0.0.1"). The kind alone is
    /// what a tenant may read about a name's resolution (issue 10 item 9: never the address).
    struct ForbiddenRange {
        let kind: String
        let carrier: String?
    }

    func forbiddenRange(of address: IPAddress) -> ForbiddenRange? {
        if allowedNetworks.contains(where: { $0.contains(address) }) { return nil }
        switch address {
        case .v4:
            return SpecialPurposeAddresses.ipv4.first { $0.network.contains(address) }.map { ForbiddenRange(kind: $0.kind, carrier: nil) }
        case .v6(let value):
            if let range = SpecialPurposeAddresses.ipv6.first(where: { $0.network.contains(address) }) {
                return ForbiddenRange(kind: range.kind, carrier: nil)
            }
            let inner: (wrapping: SpecialPurposeAddresses.Range, address: IPAddress)
            if let wrapping = SpecialPurposeAddresses.embeddingIPv4.first(where: { $0.network.contains(address) }) {
                inner = (wrapping, .v4(UInt32(truncatingIfNeeded: value)))
            } else if SpecialPurposeAddresses.sixToFour.network.contains(address) {
                inner = (SpecialPurposeAddresses.sixToFour, .v4(UInt32(truncatingIfNeeded: value >> 80)))
            } else {
                return nil
            }
            return forbiddenRange(of: inner.address).map { ForbiddenRange(kind: $0.kind, carrier: "\(inner.wrapping.kind) \(inner.address)") }
        }
    }
}
