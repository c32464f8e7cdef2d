import Foundation
import Logging
import Shared
import TestSupport
@testable import Gateway

/// A fresh spool folder under the temporary directory, removed after `body`.
func withSpoolFolder<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-spool-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

extension AuditEvent {
    /// A `tools/call` event with the awkward values: JSON numbers whose spelling jsonb changes,
    /// bytes, arrays, doubles, a time of a past month.
    static func sample(account: UUID, index: Int, monthsAgo: Int = 0) -> AuditEvent {
        let now = AuditEvent.microseconds(of: Date())
        var event = AuditEvent(
            id: UUID(), timeMicroseconds: now - Int64(monthsAgo) * 31 * 86_400_000_000 + Int64(index),
            accountID: account, decision: index % 3 == 0 ? "deny" : "allow", seq: 0)
        event.identityID = UUID()
        event.identityLabel = "alice-laptop"
        event.method = "tools/call"
        event.jsonrpcID = .number(JSONNumber(Int64(index)))
        event.tool = "create_issue"
        event.code = index % 3 == 0 ? "limit" : nil
        event.rule = "/tools/create_issue"
        event.sessionDigest = [0, 1, 2, 254, 255]
        event.argumentKeys = ["body", "title", "quote\"and\\slash"]
        event.argumentsHMAC = Array(repeating: 0xAB, count: 32)
        event.arguments = try? JSONValue.parse(#"{"title":"x","amount":1.50,"big":1E+2,"nested":[0.0, -0, "é"]}"#)
        event.policyVersion = 3
        event.snapshotVersion = 41
        event.upstreamStatus = 200
        event.gatewayLatencyMs = 0.1 + Double(index) / 7
        event.upstreamLatencyMs = 12
        event.bytesIn = 120
        event.bytesOut = 4_000
        event.workerID = "worker-test"
        event.unenforcedLimits = index % 2 == 0 ? ["/limits/0"] : nil
        return event
    }
}

/// One account's stored chain read the way `GET /v1/audit/verify` reads it (columns as
/// `StoredAuditEvent` selects them), walked with `AuditChainWalk`.
struct StoredChain {
    var events: [AuditEvent] = []
    var brokenLink: AuditChainWalk.BrokenLink?
    var headSeq: Int64 = 0

    static func read(account: UUID, from database: Database) async throws -> StoredChain {
        let rows = try await database.query("""
            SELECT id, (extract(epoch FROM time) * 1000000)::bigint AS time_us, account_id, kind, identity_id,
                identity_label, grant_id, server_id, session_digest, protocol_version, method, jsonrpc_id, tool, decision,
                code, rule, message, policy_id, policy_version, snapshot_version, tool_definition_hash,
                to_jsonb(argument_keys) AS argument_keys, arguments_hmac, arguments, result,
                to_jsonb(unenforced_limits) AS unenforced_limits, upstream_status, gateway_latency_ms, upstream_latency_ms,
                bytes_in, bytes_out, worker_id, approval_id, seq, prev_hash, hash
            FROM audit_events WHERE account_id = \(account) ORDER BY seq
            """)
        var chain = StoredChain()
        var walk = AuditChainWalk()
        for row in rows {
            func json(_ column: String) throws -> JSONValue? {
                try row.decode(column, as: JSONB?.self).map { try JSONValue.parse($0.text) }
            }
            var event = AuditEvent(
                id: try row.decode("id"), timeMicroseconds: try row.decode("time_us"), accountID: try row.decode("account_id"),
                kind: try row.decode("kind"), decision: try row.decode("decision"), seq: try row.decode("seq"))
            event.identityID = try row.decode("identity_id")
            event.identityLabel = try row.decode("identity_label")
            event.grantID = try row.decode("grant_id")
            event.serverID = try row.decode("server_id")
            event.sessionDigest = try row.decode("session_digest")
            event.protocolVersion = try row.decode("protocol_version")
            event.method = try row.decode("method")
            event.jsonrpcID = try json("jsonrpc_id")
            event.tool = try row.decode("tool")
            event.code = try row.decode("code")
            event.rule = try row.decode("rule")
            event.message = try row.decode("message")
            event.policyID = try row.decode("policy_id")
            event.policyVersion = try row.decode("policy_version")
            event.snapshotVersion = try row.decode("snapshot_version")
            event.toolDefinitionHash = try row.decode("tool_definition_hash")
            event.argumentKeys = try json("argument_keys")?.arrayValue?.compactMap(\.stringValue)
            event.argumentsHMAC = try row.decode("arguments_hmac")
            event.arguments = try json("arguments")
            event.result = try json("result")
            event.unenforcedLimits = try json("unenforced_limits")?.arrayValue?.compactMap(\.stringValue)
            event.upstreamStatus = try row.decode("upstream_status")
            event.gatewayLatencyMs = try row.decode("gateway_latency_ms")
            event.upstreamLatencyMs = try row.decode("upstream_latency_ms")
            event.bytesIn = try row.decode("bytes_in")
            event.bytesOut = try row.decode("bytes_out")
            event.workerID = try row.decode("worker_id")
            event.approvalID = try row.decode("approval_id")
            chain.events.append(event)
            if chain.brokenLink == nil {
                chain.brokenLink = walk.check(event, prevHash: try row.decode("prev_hash"), hash: try row.decode("hash"))
            }
        }
        chain.headSeq = try await database.query(
            "SELECT last_seq FROM audit_chain_heads WHERE account_id = \(account)"
        ).first?.decode("last_seq") ?? 0
        if chain.brokenLink == nil { chain.brokenLink = walk.finish(headSeq: chain.headSeq) }
        return chain
    }
}

func makeShipper(_ spool: AuditSpool, _ database: Database) -> AuditShipper {
    AuditShipper(spool: spool, database: database, batchSize: 64, pollInterval: .milliseconds(20),
                 maxRetryDelay: .milliseconds(100), logger: Logger(label: "audit-shipper-test"))
}
