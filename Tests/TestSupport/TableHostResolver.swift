import Shared

/// Resolves names from a table, so a test can make a name point at 10.0.0.1 or 169.254.169.254
/// without DNS (the SSRF guard's `HostResolver` seam).
public struct TableHostResolver: HostResolver {
    public let table: [String: [IPAddress]]

    public init(table: [String: [IPAddress]]) {
        self.table = table
    }

    public func addresses(of host: String) async throws(HostResolutionError) -> [IPAddress] {
        guard let addresses = table[host] else { throw HostResolutionError("cannot resolve \(host): unknown name") }
        return addresses
    }
}
