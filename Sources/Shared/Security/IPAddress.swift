#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as a number, so ranges are a mask and a compare.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt128)

    /// The canonical textual forms only: dotted quad for IPv4 (`127.0.0.1`), RFC 4291 text for
    /// IPv6 without brackets (`::1`, `::ffff:10.0.0.1`). Used for allowlist CIDRs and resolver
    /// answers; host names in URLs go through `init?(hostLiteral:)`, which knows the odd forms.
    public init?(_ text: String) {
        if let v4 = IPv4Literal.dottedQuad(text) {
            self = .v4(v4)
        } else if let v6 = Self.parseIPv6(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    /// A URL host read the way the C library (`inet_aton`, hence `getaddrinfo`) would read it, so
    /// `2130706433`, `0x7f.1`, `017700000001` and `127.1` are all 127.0.0.1 here too; IPv6 may
    /// come with its URL brackets. Nil for a host name.
    public init?(hostLiteral host: String) {
        var text = Substring(host)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let v4 = IPv4Literal.inetAton(text) {
            self = .v4(v4)
        } else if let v6 = Self.parseIPv6(String(text)) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    init(_ address: in_addr) {
        self = .v4(UInt32(bigEndian: address.s_addr))
    }

    init(_ address: in6_addr) {
        var value: UInt128 = 0
        withUnsafeBytes(of: address) { bytes in
            for byte in bytes { value = value << 8 | UInt128(byte) }
        }
        self = .v6(value)
    }

    private static func parseIPv6(_ text: String) -> UInt128? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        guard case .v6(let value) = IPAddress(address) else { return nil }
        return value
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
        case .v6(let value):
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) { bytes in
                for index in 0..<16 { bytes[index] = UInt8(truncatingIfNeeded: value >> (8 * (15 - index))) }
            }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The form for a URL authority: IPv6 in brackets.
    public var uriHost: String {
        if case .v6 = self { return "[\(description)]" }
        return description
    }
}
