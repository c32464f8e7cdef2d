import Shared

/// The per-account bounds of issue 10 item 15. All but the policy size live in the
/// `account_limits` row of migration 0005, where triggers enforce them for the control plane and
/// the gateway workers alike; `write` puts the flags' values there at start-up. Defaults here and
/// in the migration are the same.
struct AccountLimits: Sendable, Equatable {
    var servers = 100
    var toolsPerServer = 1000
    var policies = 500
    /// Checked by the control plane when a document is stored: only it stores documents.
    var policyBytes = 65_536
    var grants = 5000
    var identities = 5000
    var pendingApprovals = 1000

    var all: [Int] { [servers, toolsPerServer, policies, policyBytes, grants, identities, pendingApprovals] }

    func write(to database: Database) async throws {
        try await database.execute("""
            UPDATE account_limits SET servers = \(servers), tools_per_server = \(toolsPerServer), policies = \(policies),
                grants = \(grants), identities = \(identities), pending_approvals = \(pendingApprovals)
            """)
    }

    /// The tools-per-server bound as the database holds it (discovery refuses a longer list whole).
    static func toolsPerServer(_ tx: TenantTransaction) async throws -> Int {
        try await tx.query("SELECT tools_per_server FROM account_limits")[0].decode("tools_per_server")
    }
}
