import Foundation
import JSON
import Shared

extension AuditShipper {
    /// Chains and inserts one account's events in one transaction. The head row lock orders the
    /// account's shippers (several workers may ship for it), and events already stored, from an
    /// earlier attempt whose release did not happen, are skipped before any seq is assigned: a
    /// re-shipped event must not become a second link. That skip is also what makes a replayed
    /// batch harmless, without ON CONFLICT on the insert. The head is locked and moved only
    /// through the migration's SECURITY DEFINER functions: the worker role cannot write it
    /// (issue 10 item 19).
    static func chainAndInsert(_ events: [AuditEvent], of account: UUID, keys: AuditChainKeys, in session: DatabaseSession) async throws {
        guard let head = try await session.query(
            "SELECT last_seq, last_hash FROM portcullis_lock_audit_chain_head(\(account))"
        ).first else { return }
        let headSeq: Int64 = try head.decode("last_seq")
        let headHash: [UInt8] = try head.decode("last_hash")

        let ids = TextArray(events.map(\.id.lowercaseText))
        let times = events.map(\.timeMicroseconds)
        // The time range lets PostgreSQL probe only the partitions the batch can be in.
        let stored = Set(try await session.query("""
            SELECT id FROM audit_events
            WHERE account_id = \(account) AND id = ANY(\(ids)::uuid[])
              AND time BETWEEN 'epoch'::timestamptz + \(times.min()!) * interval '1 microsecond'
                           AND 'epoch'::timestamptz + \(times.max()!) * interval '1 microsecond'
            """).map { try $0.decode("id", as: UUID.self) })

        // Hashing and encoding are the shipper's CPU work: off the cooperative pool (issue 11 item 3).
        let chained = try await session.compute {
            try ChainedRows(events, skipping: stored, after: (headSeq, headHash), keys: keys)
        }
        guard chained.rows.count > 0 else { return }
        try await session.execute(createStaging)
        try await session.copy(copyIntoStaging, rows: chained.rows)
        try await session.execute(insertFromStaging)
        try await session.execute("""
            SELECT portcullis_advance_audit_chain_head(\(account), \(headSeq), \(headHash), \(chained.lastSeq), \(chained.lastHash))
            """)
    }

    /// A batch goes in as one COPY instead of a multi-row INSERT: no 39 `$n` parameters per row for
    /// the server to parse and plan, and no 65535-parameter ceiling on the batch (issue 11 item 3).
    /// PostgreSQL refuses COPY FROM into a table with row-level security (audit_events has it), so
    /// the rows are copied into a temporary table of the session (created once per connection,
    /// emptied at every commit) and moved with one INSERT ... SELECT, under the table's policies
    /// and triggers like any insert. A refused row fails the COPY (a type or NOT NULL error) or
    /// the INSERT (a CHECK), either way with its SQLSTATE, for `refusesTheRows`.
    private static let columns = """
        id, time, account_id, kind, identity_id, identity_label, grant_id, server_id,
            session_digest, protocol_version, method, jsonrpc_id, tool, decision, code, rule, message, policy_id,
            policy_version, snapshot_version, tool_definition_hash, argument_keys, arguments_hmac, arguments, result,
            unenforced_limits, upstream_status, gateway_latency_ms, upstream_latency_ms, bytes_in, bytes_out,
            worker_id, approval_id, auth_method, auth_client_id, seq, prev_hash, hash, chain_key_version
        """
    private static let createStaging = SQLQuery(unsafeSQL: """
        CREATE TEMPORARY TABLE IF NOT EXISTS audit_events_staging (LIKE audit_events) ON COMMIT DELETE ROWS
        """)
    private static let copyIntoStaging = SQLQuery(unsafeSQL: "COPY audit_events_staging (\(columns)) FROM STDIN")
    private static let insertFromStaging = SQLQuery(unsafeSQL: """
        INSERT INTO audit_events (\(columns)) SELECT \(columns) FROM audit_events_staging
        """)
}

/// One account's new events chained after its head and encoded as COPY rows. `time` goes in as
/// the chain's own timestamp text (`AuditChain.timestamp`), so the row holds exactly the instant
/// that was hashed. Text goes in escaped (`AuditStoredText`: PostgreSQL text cannot hold NUL) and
/// JSON as its exact text (jsonb cannot hold every number or `\u0000`), both undone by
/// `AuditEvent(storedRow:)` (issue 10 item 1).
struct ChainedRows: Sendable {
    private(set) var rows = CopyRows()
    private(set) var lastSeq: Int64
    private(set) var lastHash: [UInt8]

    /// Skips the events in `stored` and repeated ids, so no event becomes a second link.
    init(_ events: [AuditEvent], skipping stored: Set<UUID>, after head: (seq: Int64, hash: [UInt8]), keys: AuditChainKeys) throws {
        lastSeq = head.seq
        lastHash = head.hash
        rows = CopyRows(reservingBytes: events.count * 1024)
        var skipped = stored
        for var event in events where skipped.insert(event.id).inserted {
            event.seq = lastSeq + 1
            let link = AuditChain.link(previous: lastHash, event: event, keys: keys)
            try rows.append(Self.columns(of: event, prevHash: lastHash, hash: link.hash, keyVersion: link.keyVersion))
            lastSeq = event.seq
            lastHash = link.hash
        }
    }

    private static func columns(of event: AuditEvent, prevHash: [UInt8], hash: [UInt8], keyVersion: String) -> [any PostgresEncodable] {
        func text(_ value: String?) -> String? { value.map(AuditStoredText.stored) }
        func texts(_ values: [String]?) -> TextArray? { values.map { TextArray($0.map(AuditStoredText.stored)) } }
        func json(_ value: JSONValue?) -> String? { value?.serialized() }
        return [
            event.id, AuditChain.timestamp(microseconds: event.timeMicroseconds), event.accountID, AuditStoredText.stored(event.kind),
            event.identityID, text(event.identityLabel), event.grantID, event.serverID, event.sessionDigest,
            text(event.protocolVersion), text(event.method), json(event.jsonrpcID), text(event.tool),
            AuditStoredText.stored(event.decision), text(event.code), text(event.rule), text(event.message), event.policyID,
            event.policyVersion, event.snapshotVersion, text(event.toolDefinitionHash), texts(event.argumentKeys),
            event.argumentsHMAC, json(event.arguments), json(event.result), texts(event.unenforcedLimits),
            event.upstreamStatus, event.gatewayLatencyMs, event.upstreamLatencyMs, event.bytesIn, event.bytesOut,
            text(event.workerID), event.approvalID, text(event.authMethod), text(event.authClientID), event.seq, prevHash, hash,
            keyVersion,
        ]
    }
}
