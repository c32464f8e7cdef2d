import Shared

/// Why an upstream could not be reached (design.md §5.4). The reason reaches the agent (-32603
/// `Upstream MCP server unavailable: <reason>`) and the tenant's audit log, so it starts with a
/// fixed kind (refused, timeout, TLS, unreachable) and never carries an address, a raw error or a
/// credential (issue 10 item 9, `UpstreamConnectionFailure`): a tenant must not learn what its
/// upstream's name resolves to inside the operator's network. Details go to the worker's log.
struct UpstreamFailure: Error, CustomStringConvertible {
    let reason: String

    init(reason: String) { self.reason = reason }

    init(_ error: any Error) {
        reason = UpstreamConnectionFailure.reason(for: error)
    }

    static let addressRefused = UpstreamFailure(reason: "refused: the upstream address is not allowed")
    static let shuttingDown = UpstreamFailure(reason: "unreachable: the gateway worker is shutting down")

    var description: String { reason }
}
