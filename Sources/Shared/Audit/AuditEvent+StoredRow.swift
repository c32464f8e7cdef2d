import Foundation
import JSON

/// Reading `audit_events` rows back, for the audit API and verification: one definition of the
/// columns and their decoding, so every reader hashes exactly what the shipper stored.
extension AuditEvent {
    /// Columns in the forms `init(storedRow:)` reads: time as exact microseconds (timestamptz's
    /// precision, so the chain hashes what the shipper hashed) and text[] as JSON arrays.
    public static let storedColumns = """
        id, (extract(epoch FROM time) * 1000000)::bigint AS time_us, account_id, kind, identity_id, identity_label,
        grant_id, server_id, session_digest, protocol_version, method, jsonrpc_id, tool, decision, code, rule, message,
        policy_id, policy_version, snapshot_version, tool_definition_hash, to_jsonb(argument_keys) AS argument_keys,
        arguments_hmac, arguments, result, to_jsonb(unenforced_limits) AS unenforced_limits, upstream_status,
        gateway_latency_ms, upstream_latency_ms, bytes_in, bytes_out, worker_id, approval_id, auth_method, auth_client_id,
        seq, prev_hash, hash, chain_key_version
        """

    /// An event as stored, read back exactly as it was hashed (the chain links are separate columns):
    /// text columns un-escaped (`AuditStoredText`), JSON columns parsed from their exact text.
    public init(storedRow row: Row) throws {
        func text(_ column: String) throws -> String? {
            try row.decode(column, as: String?.self).map(AuditStoredText.original)
        }
        func strings(_ column: String) throws -> [String]? {
            try row.decode(column, as: JSONValue?.self)?.arrayValue?.compactMap(\.stringValue).map(AuditStoredText.original)
        }
        func json(_ column: String) throws -> JSONValue? {
            guard let text = try row.decode(column, as: String?.self) else { return nil }
            do {
                return try JSONParser(maxDepth: AuditEvent.maxStoredJSONDepth).parse(Array(text.utf8))
            } catch {
                throw DatabaseError(.malformedValue, detail: "\(column) is not JSON: \(error)")
            }
        }
        var event = AuditEvent(
            id: try row.decode("id"), timeMicroseconds: try row.decode("time_us"), accountID: try row.decode("account_id"),
            kind: AuditStoredText.original(try row.decode("kind")), decision: AuditStoredText.original(try row.decode("decision")), seq: try row.decode("seq"))
        event.identityID = try row.decode("identity_id")
        event.identityLabel = try text("identity_label")
        event.grantID = try row.decode("grant_id")
        event.serverID = try row.decode("server_id")
        event.sessionDigest = try row.decode("session_digest")
        event.protocolVersion = try text("protocol_version")
        event.method = try text("method")
        event.jsonrpcID = try json("jsonrpc_id")
        event.tool = try text("tool")
        event.code = try text("code")
        event.rule = try text("rule")
        event.message = try text("message")
        event.policyID = try row.decode("policy_id")
        event.policyVersion = try row.decode("policy_version")
        event.snapshotVersion = try row.decode("snapshot_version")
        event.toolDefinitionHash = try text("tool_definition_hash")
        event.argumentKeys = try strings("argument_keys")
        event.argumentsHMAC = try row.decode("arguments_hmac")
        event.arguments = try json("arguments")
        event.result = try json("result")
        event.unenforcedLimits = try strings("unenforced_limits")
        event.upstreamStatus = try row.decode("upstream_status")
        event.gatewayLatencyMs = try row.decode("gateway_latency_ms")
        event.upstreamLatencyMs = try row.decode("upstream_latency_ms")
        event.bytesIn = try row.decode("bytes_in")
        event.bytesOut = try row.decode("bytes_out")
        event.workerID = try text("worker_id")
        event.approvalID = try row.decode("approval_id")
        event.authMethod = try text("auth_method")
        event.authClientID = try text("auth_client_id")
        self = event
    }
}
