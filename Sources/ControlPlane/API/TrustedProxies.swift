import HTTPTypes
import Shared

/// Who the client of an unauthenticated request is, for its rate limits (issue 10 item 17).
///
/// Behind a load balancer every peer is the balancer, so one shared bucket would let one guesser
/// lock everyone out and spread nobody's guesses. With `--trusted-proxies` (CIDRs), a peer inside
/// them is skipped and `X-Forwarded-For` is read from the right: the first hop that is not a
/// trusted proxy is the client. Hops further left were written by the client itself and are
/// never believed. Without trusted proxies the header is ignored.
struct TrustedProxies: Sendable {
    let networks: [IPNetwork]

    init(_ networks: [IPNetwork] = []) {
        self.networks = networks
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// The rate-limit key of the request's client: an IPv4 address, or an IPv6 /64 (one host gets
    /// a whole /64, so per-address buckets would give it 2^64 of them). Nil when unknown.
    func clientKey(peer: String?, headers: HTTPFields) -> String? {
        guard let peer, var client = IPAddress(peer) else { return peer }
        if isTrusted(client) {
            // Every X-Forwarded-For field, in order, as one list: proxies may add their own line.
            let hops = headers[values: Self.forwardedFor].flatMap { $0.split(separator: ",") }
            for hop in hops.reversed() {
                guard let address = IPAddress(hop.trimmingCharacters(in: .whitespaces)) else { break }
                client = address
                if !isTrusted(address) { break }
            }
        }
        return Self.key(client)
    }

    private func isTrusted(_ address: IPAddress) -> Bool {
        networks.contains { $0.contains(address) }
    }

    private static func key(_ address: IPAddress) -> String {
        switch address {
        case .v4: address.description
        case .v6(let value): "\(IPAddress.v6(value & ~UInt128(0) << 64))/64"
        }
    }
}
