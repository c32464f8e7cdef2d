import Foundation
import Shared

/// The filters of `GET /v1/audit`, `/v1/audit/export` and `/v1/audit/summary`; nil matches everything.
struct AuditFilter: Sendable {
    var identityID: UUID?
    var grantID: UUID?
    var serverID: UUID?
    var tool: String?
    var decision: String?
    var code: String?
    var since: Date?
    var until: Date?

    /// The filter as conditions on `audit_events`, written once for every statement that filters.
    var conditions: SQLQuery {
        // Tool names are stored escaped (`AuditStoredText`), so the filter is too.
        let storedTool = tool.map(AuditStoredText.stored)
        return """
            (\(identityID)::uuid IS NULL OR identity_id = \(identityID))
              AND (\(grantID)::uuid IS NULL OR grant_id = \(grantID))
              AND (\(serverID)::uuid IS NULL OR server_id = \(serverID))
              AND (\(storedTool)::text IS NULL OR tool = \(storedTool))
              AND (\(decision)::text IS NULL OR decision = \(decision))
              AND (\(code)::text IS NULL OR code = \(code))
              AND (\(since)::timestamptz IS NULL OR time >= \(since))
              AND (\(until)::timestamptz IS NULL OR time < \(until))
            """
    }
}

/// The `audit_events` of one account, read side. Gateway workers' shippers write them.
struct AuditEventStore {
    let tx: TenantTransaction

    /// Newest first (the log's natural reading order).
    func list(_ filter: AuditFilter, page: PageRequest) async throws -> Page<StoredAuditEvent> {
        let rows = try await select(filter, after: page.after, newestFirst: true, limit: page.fetchLimit)
        return Page(rows: rows, request: page)
    }

    /// Oldest first after `cursor`, for the export stream: one batch per transaction, so a slow
    /// reader does not hold a connection for the whole export.
    func exportBatch(_ filter: AuditFilter, after cursor: PageCursor?, limit: Int) async throws -> [StoredAuditEvent] {
        try await select(filter, after: cursor, newestFirst: false, limit: limit)
    }

    /// The chain in `seq` order after `seq`, for verification.
    func chainBatch(afterSeq seq: Int64, upToSeq last: Int64, limit: Int) async throws -> [StoredAuditEvent] {
        try await tx.query("""
            SELECT \(unsafeSQL: AuditEvent.storedColumns) FROM audit_events
            WHERE account_id = \(tx.account) AND seq > \(seq) AND seq <= \(last)
            ORDER BY seq
            LIMIT \(limit)
            """).map(StoredAuditEvent.init(row:))
    }

    /// The number of events the shippers have chained for this account (0 before the first).
    func chainHeadSeq() async throws -> Int64 {
        try await tx.query("SELECT last_seq FROM audit_chain_heads WHERE account_id = \(tx.account)").first?.decode("last_seq") ?? 0
    }

    /// The lowest stored seq, and, when events before it were dropped by retention, the hash the
    /// retention log recorded for the event just before it (design.md §7: verification starts there).
    func chainStart() async throws -> (afterSeq: Int64, hash: [UInt8])? {
        let lowest = try await tx.query("SELECT min(seq) AS first FROM audit_events WHERE account_id = \(tx.account)")
        guard let first = try lowest.first?.decode("first", as: Int64?.self) else { return nil }
        if first == 1 { return (0, AuditChain.genesisHash) }
        let anchor = try await tx.query("""
            SELECT decode(chain_anchors -> \(tx.account.uuidString.lowercased()) ->> 'hash', 'hex') AS hash
            FROM audit_retention_log
            WHERE (chain_anchors -> \(tx.account.uuidString.lowercased()) ->> 'seq')::bigint = \(first - 1)
            ORDER BY id DESC LIMIT 1
            """).first
        return try anchor.map { (first - 1, try $0.decode("hash")) }
    }

    private func select(_ filter: AuditFilter, after cursor: PageCursor?, newestFirst: Bool, limit: Int) async throws -> [StoredAuditEvent] {
        let keyset = Keyset(time: "time", id: "id", newestFirst ? .newestFirst : .oldestFirst)
        return try await tx.query("""
            SELECT \(unsafeSQL: AuditEvent.storedColumns) FROM audit_events
            WHERE account_id = \(tx.account) AND \(filter.conditions) AND \(keyset.after(cursor))
            ORDER BY \(keyset.ordering)
            LIMIT \(limit)
            """).map(StoredAuditEvent.init(row:))
    }
}
