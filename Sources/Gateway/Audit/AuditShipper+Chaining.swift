import Foundation
import Shared

extension AuditShipper {
    /// Chains and inserts one account's events in one transaction. The head row lock orders the
    /// account's shippers (several workers may ship for it), and events already stored, from an
    /// earlier attempt whose release did not happen, are skipped before any seq is assigned: a
    /// re-shipped event must not become a second link. The head is locked and moved only through
    /// the migration's SECURITY DEFINER functions: the worker role cannot write it (issue 10 item 19).
    static func chainAndInsert(_ events: [AuditEvent], of account: UUID, keys: AuditChainKeys, in session: DatabaseSession) async throws {
        guard let head = try await session.query(
            "SELECT last_seq, last_hash FROM portcullis_lock_audit_chain_head(\(account))"
        ).first else { return }
        let headSeq: Int64 = try head.decode("last_seq")
        let headHash: [UInt8] = try head.decode("last_hash")
        var seq = headSeq
        var previousHash = headHash

        let ids = TextArray(events.map { $0.id.uuidString.lowercased() })
        let times = events.map(\.timeMicroseconds)
        // The time range lets PostgreSQL probe only the partitions the batch can be in.
        var skipped = Set(try await session.query("""
            SELECT id FROM audit_events
            WHERE account_id = \(account) AND id = ANY(\(ids)::uuid[])
              AND time BETWEEN 'epoch'::timestamptz + \(times.min()!) * interval '1 microsecond'
                           AND 'epoch'::timestamptz + \(times.max()!) * interval '1 microsecond'
            """).map { try $0.decode("id", as: UUID.self) })

        var rows: [ChainedRow] = []
        for var event in events where skipped.insert(event.id).inserted {
            seq += 1
            event.seq = seq
            let link = AuditChain.link(previous: previousHash, event: event, keys: keys)
            rows.append(ChainedRow(event: event, prevHash: previousHash, hash: link.hash, keyVersion: link.keyVersion))
            previousHash = link.hash
        }
        guard !rows.isEmpty else { return }
        try await session.execute(insertStatement(rows))
        try await session.execute("""
            SELECT portcullis_advance_audit_chain_head(\(account), \(headSeq), \(headHash), \(seq), \(previousHash))
            """)
    }

    private struct ChainedRow {
        let event: AuditEvent
        let prevHash: [UInt8]
        let hash: [UInt8]
        let keyVersion: String
    }

    /// One multi-row INSERT. `time` goes in as integer microseconds from the epoch, so the row holds
    /// exactly the instant that was hashed (`AuditEvent.timeMicroseconds`). Text goes in escaped
    /// (`AuditStoredText`: PostgreSQL text cannot hold NUL) and JSON as its exact text (jsonb cannot
    /// hold every number or `\u0000`), both undone by `AuditEvent(storedRow:)` (issue 10 item 1).
    private static func insertStatement(_ rows: [ChainedRow]) -> SQLQuery {
        var sql = SQLQuery.StringInterpolation(literalCapacity: 1024 + rows.count * 160, interpolationCount: rows.count * 37)
        sql.appendLiteral("""
            INSERT INTO audit_events (id, time, account_id, kind, identity_id, identity_label, grant_id, server_id,
                session_digest, protocol_version, method, jsonrpc_id, tool, decision, code, rule, message, policy_id,
                policy_version, snapshot_version, tool_definition_hash, argument_keys, arguments_hmac, arguments, result,
                unenforced_limits, upstream_status, gateway_latency_ms, upstream_latency_ms, bytes_in, bytes_out,
                worker_id, approval_id, seq, prev_hash, hash, chain_key_version) VALUES
            """)
        for (index, row) in rows.enumerated() {
            let event = row.event
            sql.appendLiteral(index == 0 ? "\n(" : ",\n(")
            sql.appendInterpolation(event.id)
            sql.appendLiteral(", 'epoch'::timestamptz + ")
            sql.appendInterpolation(event.timeMicroseconds)
            sql.appendLiteral(" * interval '1 microsecond'")
            func text(_ value: String?) -> String? { value.map(AuditStoredText.stored) }
            func texts(_ values: [String]?) -> TextArray? { values.map { TextArray($0.map(AuditStoredText.stored)) } }
            func json(_ value: JSONValue?) -> String? { value?.serialized() }
            let values: [any PostgresEncodable] = [
                event.accountID, AuditStoredText.stored(event.kind), event.identityID, text(event.identityLabel),
                event.grantID, event.serverID, event.sessionDigest, text(event.protocolVersion), text(event.method),
                json(event.jsonrpcID), text(event.tool), AuditStoredText.stored(event.decision), text(event.code),
                text(event.rule), text(event.message), event.policyID, event.policyVersion, event.snapshotVersion,
                text(event.toolDefinitionHash), texts(event.argumentKeys), event.argumentsHMAC, json(event.arguments),
                json(event.result), texts(event.unenforcedLimits), event.upstreamStatus, event.gatewayLatencyMs,
                event.upstreamLatencyMs, event.bytesIn, event.bytesOut, text(event.workerID), event.approvalID,
                event.seq, row.prevHash, row.hash, row.keyVersion,
            ]
            for value in values {
                sql.appendLiteral(", ")
                sql.appendInterpolation(value)
            }
            sql.appendLiteral(")")
        }
        sql.appendLiteral("\nON CONFLICT DO NOTHING")
        return SQLQuery(stringInterpolation: sql)
    }
}
