import Foundation
import Shared

extension AuditShipper {
    /// Chains and inserts one account's events in one transaction. The head row lock orders the
    /// account's shippers (several workers may ship for it), and events already stored, from an
    /// earlier attempt whose release did not happen, are skipped before any seq is assigned: a
    /// re-shipped event must not become a second link.
    static func chainAndInsert(_ events: [AuditEvent], of account: UUID, in session: DatabaseSession) async throws {
        try await session.execute("INSERT INTO audit_chain_heads (account_id) VALUES (\(account)) ON CONFLICT (account_id) DO NOTHING")
        guard let head = try await session.query(
            "SELECT last_seq, last_hash FROM audit_chain_heads WHERE account_id = \(account) FOR UPDATE"
        ).first else { return }
        var seq: Int64 = try head.decode("last_seq")
        var previousHash: [UInt8] = try head.decode("last_hash")

        let ids = TextArray(events.map { $0.id.uuidString.lowercased() })
        let times = events.map(\.timeMicroseconds)
        // The time range lets PostgreSQL probe only the partitions the batch can be in.
        var skipped = Set(try await session.query("""
            SELECT id FROM audit_events
            WHERE account_id = \(account) AND id = ANY(\(ids)::uuid[])
              AND time BETWEEN 'epoch'::timestamptz + \(times.min()!) * interval '1 microsecond'
                           AND 'epoch'::timestamptz + \(times.max()!) * interval '1 microsecond'
            """).map { try $0.decode("id", as: UUID.self) })

        var rows: [(event: AuditEvent, prevHash: [UInt8], hash: [UInt8])] = []
        for var event in events where skipped.insert(event.id).inserted {
            seq += 1
            event.seq = seq
            let hash = AuditChain.hash(previous: previousHash, event: event)
            rows.append((event, previousHash, hash))
            previousHash = hash
        }
        guard !rows.isEmpty else { return }
        try await session.execute(insertStatement(rows))
        try await session.execute("""
            UPDATE audit_chain_heads SET last_seq = \(seq), last_hash = \(previousHash), updated_at = now()
            WHERE account_id = \(account)
            """)
    }

    /// One multi-row INSERT. `time` goes in as integer microseconds from the epoch, so the row holds
    /// exactly the instant that was hashed (`AuditEvent.timeMicroseconds`).
    private static func insertStatement(_ rows: [(event: AuditEvent, prevHash: [UInt8], hash: [UInt8])]) -> SQLQuery {
        var sql = SQLQuery.StringInterpolation(literalCapacity: 1024 + rows.count * 160, interpolationCount: rows.count * 36)
        sql.appendLiteral("""
            INSERT INTO audit_events (id, time, account_id, kind, identity_id, identity_label, grant_id, server_id,
                session_digest, protocol_version, method, jsonrpc_id, tool, decision, code, rule, message, policy_id,
                policy_version, snapshot_version, tool_definition_hash, argument_keys, arguments_hmac, arguments, result,
                unenforced_limits, upstream_status, gateway_latency_ms, upstream_latency_ms, bytes_in, bytes_out,
                worker_id, approval_id, seq, prev_hash, hash) VALUES
            """)
        for (index, row) in rows.enumerated() {
            let event = row.event
            sql.appendLiteral(index == 0 ? "\n(" : ",\n(")
            sql.appendInterpolation(event.id)
            sql.appendLiteral(", 'epoch'::timestamptz + ")
            sql.appendInterpolation(event.timeMicroseconds)
            sql.appendLiteral(" * interval '1 microsecond'")
            let values: [any PostgresEncodable] = [
                event.accountID, event.kind, event.identityID, event.identityLabel, event.grantID, event.serverID,
                event.sessionDigest, event.protocolVersion, event.method, event.jsonrpcID, event.tool,
                event.decision, event.code, event.rule, event.message, event.policyID, event.policyVersion,
                event.snapshotVersion, event.toolDefinitionHash, event.argumentKeys.map(TextArray.init),
                event.argumentsHMAC, event.arguments, event.result, event.unenforcedLimits.map(TextArray.init),
                event.upstreamStatus, event.gatewayLatencyMs, event.upstreamLatencyMs, event.bytesIn, event.bytesOut,
                event.workerID, event.approvalID, event.seq, row.prevHash, row.hash,
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
