import Shared
import TestSupport

/// What one account of a benchmark is made of: the upstream it registers and the policy its
/// grant uses.
struct TenantPlan {
    var label: String
    var upstream: FakeMCPUpstream.Configuration
    var policy: String

    /// The end-to-end benchmark's account: a fast `echo` upstream and an allowed call with no
    /// limits (the decision, the audit event and the forwarding, nothing held). Requests are not
    /// recorded: the saturation phase would keep hundreds of thousands.
    static let echo = TenantPlan(
        label: "bench",
        upstream: .init(tools: [FakeMCPUpstream.tool("echo")], mode: .json, recordRequests: false),
        policy: #"{"version": "1", "default": "deny", "tools": {"echo": {}}}"#)

    /// The seed's policy shape (issue 11, case b): the same call under a per-grant limit counted in
    /// PostgreSQL, with a `max` no benchmark reaches, so every call reserves and none is denied.
    static let limited = TenantPlan(
        label: "limit",
        upstream: echo.upstream,
        policy: #"{"version": "1", "default": "deny", "tools": {"echo": {"limits": [{"counter": "echo_rate", "window": "minute", "max": 100000000, "scope": "grant"}]}}}"#)

    /// The memory benchmark's account for open streams: its upstream holds every GET stream open.
    static let streaming = TenantPlan(
        label: "streams",
        upstream: .init(tools: [FakeMCPUpstream.tool("echo")], mode: .json, getStream: true, recordRequests: false),
        policy: echo.policy)
}

/// One account on the installation, set up through the admin API: its own sign-up, server,
/// policy, identity and grant.
struct BenchmarkTenant {
    let label: String
    let upstream: FakeMCPUpstream
    let serverID: String
    let grantToken: String
    let policyID: String
    /// The account's admin API key, for changing its policy during a run.
    let apiKey: String

    init(_ plan: TenantPlan, upstream: FakeMCPUpstream, admin: AdminAPI) async throws {
        apiKey = try await admin.signUp()
        serverID = try await admin.createServer(name: plan.label, url: upstream.url, apiKey: apiKey)
        policyID = try await admin.createPolicy(serverID: serverID, document: plan.policy, apiKey: apiKey)
        let identityID = try await admin.createIdentity(label: "\(plan.label)-agent", apiKey: apiKey)
        grantToken = try await admin.createGrant(identityID: identityID, serverID: serverID, policyID: policyID, apiKey: apiKey)
        label = plan.label
        self.upstream = upstream
    }
}
