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
}

/// One account on the installation, set up through the admin API: its own sign-up, server,
/// policy, identity and grant.
struct BenchmarkTenant {
    let label: String
    let upstream: FakeMCPUpstream
    let serverID: String
    let grantToken: String

    init(_ plan: TenantPlan, upstream: FakeMCPUpstream, admin: AdminAPI) async throws {
        let apiKey = try await admin.signUp()
        serverID = try await admin.createServer(name: plan.label, url: upstream.url, apiKey: apiKey)
        let policyID = try await admin.createPolicy(serverID: serverID, document: plan.policy, apiKey: apiKey)
        let identityID = try await admin.createIdentity(label: "\(plan.label)-agent", apiKey: apiKey)
        grantToken = try await admin.createGrant(identityID: identityID, serverID: serverID, policyID: policyID, apiKey: apiKey)
        label = plan.label
        self.upstream = upstream
    }
}
