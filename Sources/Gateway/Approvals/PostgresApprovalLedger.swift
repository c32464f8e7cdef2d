import Foundation
import JSON
import Shared

/// The approval ledger in PostgreSQL, shared by every worker (design.md §5.6). Workers read across
/// accounts, so this runs as the table owner; every statement still names the grant.
struct PostgresApprovalLedger: ApprovalLedger {
    let database: Database
    var requestsPerGrantPerMinute = 10

    /// First key of the advisory lock that serializes one grant's new requests (the second is the
    /// grant's hash); no other lock of the project uses it.
    static let requestLockClass: Int32 = 0x5043_4150  // "PCAP"

    /// Step 1: consumes an approved, unexpired, unconsumed approval for exactly this call, if
    /// there is one. `SKIP LOCKED` plus the status check make it exactly once across workers.
    func consumeApproved(_ key: ApprovalCallKey) async throws -> UUID? {
        try await database.hotPathQuery("""
            UPDATE approvals SET status = 'consumed', consumed_at = now()
            WHERE id = (
                SELECT id FROM approvals
                WHERE grant_id = \(key.grant) AND tool = \(key.tool) AND arguments_hash IN (SELECT decode(h, 'hex') FROM unnest(string_to_array(\(key.argumentsHashList), ',')) AS h)
                  AND status = 'approved' AND expires_at > now()
                ORDER BY decided_at LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING id
            """).first?.decode("id")
    }

    /// Consumes one approval the caller was waiting on, if it is approved and unexpired.
    func consume(_ id: UUID) async throws -> Bool {
        try await !database.hotPathQuery("""
            UPDATE approvals SET status = 'consumed', consumed_at = now()
            WHERE id = \(id) AND status = 'approved' AND expires_at > now()
            RETURNING id
            """).isEmpty
    }

    /// Step 2: creates the pending request, or reuses the identical one still pending. A pending
    /// request past its expiry is marked expired first, so it never blocks a new one. Requests of
    /// one grant are serialized (a transaction-scoped advisory lock on the grant), so the count of
    /// the last minute's requests is exact across workers.
    func request(_ key: ApprovalCallKey, arguments: JSONValue?, rule: String, timeout: Duration) async throws -> PendingApproval {
        try await database.hotPathTransaction { tx in
            try await tx.execute("SELECT pg_advisory_xact_lock(\(Self.requestLockClass)::int4, hashtext(\(key.grant)::text))")
            try await tx.execute("""
                UPDATE approvals SET status = 'expired'
                WHERE grant_id = \(key.grant) AND tool = \(key.tool) AND arguments_hash IN (SELECT decode(h, 'hex') FROM unnest(string_to_array(\(key.argumentsHashList), ',')) AS h)
                  AND status = 'pending' AND expires_at <= now()
                """)
            let existing = try await tx.query("""
                SELECT id, expires_at FROM approvals
                WHERE grant_id = \(key.grant) AND tool = \(key.tool) AND arguments_hash IN (SELECT decode(h, 'hex') FROM unnest(string_to_array(\(key.argumentsHashList), ',')) AS h) AND status = 'pending'
                """)
            if let row = existing.first {
                return PendingApproval(id: try row.decode("id"), account: key.account, expiresAt: try row.decode("expires_at"), isNew: false)
            }
            let recent = try await tx.query("""
                SELECT count(*)::int AS requests,
                       ceil(extract(epoch FROM min(requested_at) + interval '1 minute' - now()))::int AS retry_after
                FROM approvals WHERE grant_id = \(key.grant) AND requested_at > now() - interval '1 minute'
                """)[0]
            if try recent.decode("requests", as: Int.self) >= requestsPerGrantPerMinute {
                throw ApprovalRequestRateExceeded(
                    limit: requestsPerGrantPerMinute, retryAfterSeconds: max(1, try recent.decode("retry_after", as: Int?.self) ?? 60))
            }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            let created = try await tx.query("""
                INSERT INTO approvals (account_id, grant_id, tool, arguments_hash, arguments, rule, expires_at)
                VALUES (\(key.account), \(key.grant), \(key.tool), \(key.argumentsHash),
                        \(arguments), \(rule), now() + \(seconds) * interval '1 second')
                RETURNING id, expires_at
                """)[0]
            return PendingApproval(id: try created.decode("id"), account: key.account, expiresAt: try created.decode("expires_at"), isNew: true)
        }
    }

    /// Undoes `consumeApproved` or `consume` for a call that was then not forwarded (its rate
    /// limit was full, say): the human's decision stays usable until it expires (issue 10 item 18).
    func giveBack(_ id: UUID) async throws {
        try await database.hotPathQuery("""
            UPDATE approvals SET status = 'approved', consumed_at = NULL
            WHERE id = \(id) AND status = 'consumed'
            """)
    }

    /// The status as a waiting worker must read it: a pending or approved request past its expiry
    /// counts as expired even before anyone marks it.
    func status(of id: UUID) async throws -> ApprovalStatus? {
        try await database.hotPathQuery("""
            SELECT portcullis_approval_status(status, expires_at) AS status
            FROM approvals WHERE id = \(id)
            """).first.flatMap { ApprovalStatus(rawValue: try $0.decode("status")) }
    }

    /// The reason a human gave when deciding, for the denial the agent reads.
    func reason(of id: UUID) async throws -> String? {
        try await database.hotPathQuery("SELECT reason FROM approvals WHERE id = \(id)").first?.decode("reason")
    }
}
