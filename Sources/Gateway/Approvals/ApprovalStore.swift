import Foundation
import Shared

/// The calls a human must decide (SPEC 5.6), as a gateway worker sees them. Workers read across
/// accounts, so this runs as the table owner; every statement still names the grant.
struct ApprovalStore: Sendable {
    let database: Database

    /// Which call an approval is for.
    struct CallKey: Sendable {
        let account: UUID
        let grant: UUID
        let tool: String
        let argumentsHash: [UInt8]
    }

    struct Pending: Sendable, Equatable {
        let id: UUID
        let expiresAt: Date
        /// False when an identical pending request already existed and is reused.
        let isNew: Bool
    }

    enum Status: String, Sendable {
        case pending, approved, denied, expired, consumed
    }

    /// Step 1: consumes an approved, unexpired, unconsumed approval for exactly this call, if
    /// there is one. `SKIP LOCKED` plus the status check make it exactly once across workers.
    func consumeApproved(_ key: CallKey) async throws -> UUID? {
        try await database.query("""
            UPDATE approvals SET status = 'consumed', consumed_at = now()
            WHERE id = (
                SELECT id FROM approvals
                WHERE grant_id = \(key.grant) AND tool = \(key.tool) AND arguments_hash = \(key.argumentsHash)
                  AND status = 'approved' AND expires_at > now()
                ORDER BY decided_at LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING id
            """).first?.decode("id")
    }

    /// Consumes one approval the caller was waiting on, if it is approved and unexpired.
    func consume(_ id: UUID) async throws -> Bool {
        try await !database.query("""
            UPDATE approvals SET status = 'consumed', consumed_at = now()
            WHERE id = \(id) AND status = 'approved' AND expires_at > now()
            RETURNING id
            """).isEmpty
    }

    /// Step 2: creates the pending request, or reuses the identical one still pending. A pending
    /// request past its expiry is marked expired first, so it never blocks a new one.
    func request(_ key: CallKey, arguments: JSONValue?, rule: String, timeout: Duration) async throws -> Pending {
        try await database.transaction { tx in
            try await tx.execute("""
                UPDATE approvals SET status = 'expired'
                WHERE grant_id = \(key.grant) AND tool = \(key.tool) AND arguments_hash = \(key.argumentsHash)
                  AND status = 'pending' AND expires_at <= now()
                """)
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            let created = try await tx.query("""
                INSERT INTO approvals (account_id, grant_id, tool, arguments_hash, arguments, rule, expires_at)
                VALUES (\(key.account), \(key.grant), \(key.tool), \(key.argumentsHash),
                        \(arguments), \(rule), now() + \(seconds) * interval '1 second')
                ON CONFLICT (grant_id, tool, arguments_hash) WHERE status = 'pending' DO NOTHING
                RETURNING id, expires_at
                """)
            if let row = created.first {
                return Pending(id: try row.decode("id"), expiresAt: try row.decode("expires_at"), isNew: true)
            }
            let existing = try await tx.query("""
                SELECT id, expires_at FROM approvals
                WHERE grant_id = \(key.grant) AND tool = \(key.tool) AND arguments_hash = \(key.argumentsHash) AND status = 'pending'
                """)
            guard let row = existing.first else {
                throw DatabaseError(.server, detail: "pending approval vanished between insert and read")
            }
            return Pending(id: try row.decode("id"), expiresAt: try row.decode("expires_at"), isNew: false)
        }
    }

    /// The status as a waiting worker must read it: a pending or approved request past its expiry
    /// counts as expired even before anyone marks it.
    func status(of id: UUID) async throws -> Status? {
        try await database.query("""
            SELECT portcullis_approval_status(status, expires_at) AS status
            FROM approvals WHERE id = \(id)
            """).first.flatMap { Status(rawValue: try $0.decode("status")) }
    }

    /// The reason a human gave when deciding, for the denial the agent reads.
    func reason(of id: UUID) async throws -> String? {
        try await database.query("SELECT reason FROM approvals WHERE id = \(id)").first?.decode("reason")
    }
}
