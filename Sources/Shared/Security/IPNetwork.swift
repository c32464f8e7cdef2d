/// A CIDR block (`10.0.0.0/8`, `fd00::/8`), as given to `--allow-upstream-cidr`.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Host bits must be zero (`10.0.0.1/8` is refused) so a typo does not silently widen or
    /// narrow what the operator meant; a bare address means that one address.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let maxLength = address.bitWidth
        let length: Int
        if parts.count == 2 {
            guard parts[1].allSatisfy(\.isASCII), let parsed = Int(parts[1]), (0...maxLength).contains(parsed) else { return nil }
            length = parsed
        } else {
            length = maxLength
        }
        self.init(address: address, prefixLength: length)
        guard self.address == address else { return nil }
    }

    /// Masks away host bits.
    init(address: IPAddress, prefixLength: Int) {
        self.prefixLength = prefixLength
        self.address = address.masked(toPrefix: prefixLength)
    }

    public func contains(_ candidate: IPAddress) -> Bool {
        switch (address, candidate) {
        case (.v4, .v4), (.v6, .v6): candidate.masked(toPrefix: prefixLength) == address
        default: false
        }
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

extension IPAddress {
    var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    func masked(toPrefix length: Int) -> IPAddress {
        switch self {
        case .v4(let value): .v4(length == 0 ? 0 : value & ~UInt32(0) << (32 - length))
        case .v6(let value): .v6(length == 0 ? 0 : value & ~UInt128(0) << (128 - length))
        }
    }
}
