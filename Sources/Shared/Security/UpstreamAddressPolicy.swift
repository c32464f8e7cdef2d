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
        if allowedNetworks.contains(where: { $0.contains(address) }) { return nil }
        switch address {
        case .v4:
            return SpecialPurposeAddresses.ipv4.first { $0.network.contains(address) }?.kind
        case .v6(let value):
            if let range = SpecialPurposeAddresses.ipv6.first(where: { $0.network.contains(address) }) {
                return range.kind
            }
            if let wrapping = SpecialPurposeAddresses.embeddingIPv4.first(where: { $0.network.contains(address) }) {
                let inner = IPAddress.v4(UInt32(truncatingIfNeeded: value))
                return forbiddenKind(of: inner).map { "\(wrapping.kind) \(inner), \($0)" }
            }
            if SpecialPurposeAddresses.sixToFour.network.contains(address) {
                let inner = IPAddress.v4(UInt32(truncatingIfNeeded: value >> 80))
                return forbiddenKind(of: inner).map { "\(SpecialPurposeAddresses.sixToFour.kind) \(inner), \($0)" }
            }
            return nil
        }
    }
}
