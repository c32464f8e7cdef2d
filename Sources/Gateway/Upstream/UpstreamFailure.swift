import Shared

/// Why an upstream could not be reached (design.md §5.4). The reason reaches the agent (-32603
/// `Upstream MCP server unavailable: <reason>`) and the tenant's audit log, so it starts with a
/// fixed kind (refused, timeout, TLS, unreachable) and never carries an address, a raw error or a
/// credential (issue 10 item 9, `UpstreamConnectionFailure`): a tenant must not learn what its
/// upstream's name resolves to inside the operator's network. Details go to the worker's log.
struct UpstreamFailure: Error, CustomStringConvertible {
    let reason: String
    /// What the agent is answered with: -32603 `Upstream MCP server unavailable: <reason>`, unless
    /// the failure is one the agent's own side can fix.
    let rpcError: JSONRPCErrorObject
    /// The failure is the caller's own (its identity has no upstream credential), not the
    /// upstream's: it says nothing of the server, so it must not leave the server's tool list
    /// unknown for every other identity on this worker (issue 10 item 7).
    let isTheCallers: Bool

    init(reason: String) {
        self.init(reason: reason, rpcError: GatewayAnswers.upstreamUnavailableError(reason), isTheCallers: false)
    }

    init(_ error: any Error) {
        self.init(reason: UpstreamConnectionFailure.reason(for: error))
    }

    private init(reason: String, rpcError: JSONRPCErrorObject, isTheCallers: Bool) {
        self.reason = reason
        self.rpcError = rpcError
        self.isTheCallers = isTheCallers
    }

    static let addressRefused = UpstreamFailure(reason: "refused: the upstream address is not allowed")
    static let shuttingDown = UpstreamFailure(reason: "unreachable: the gateway worker is shutting down")

    /// The server sends each identity's own credential (issue 14 item 5) and the caller's identity
    /// has none, or its OAuth connection lapsed: nothing went upstream. The agent learns what to
    /// ask for; the audit row says `no credential`.
    static func noIdentityCredential(identity: SnapshotIdentity, server: SnapshotServer) -> UpstreamFailure {
        UpstreamFailure(
            reason: "no credential: the identity has no upstream credential for this server",
            rpcError: JSONRPCErrorObject(
                code: -32001,
                message: "Identity '\(identity.label)' has no upstream credential for server '\(server.name)'. An admin sets one with "
                    + "PUT /v1/identities/\(identity.id.uuidString.lowercased())/credentials/\(server.id.uuidString.lowercased())."),
            isTheCallers: true)
    }

    var description: String { reason }
}
