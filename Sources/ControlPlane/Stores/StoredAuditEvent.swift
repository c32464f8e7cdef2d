import Foundation
import Shared

/// An `audit_events` row: the chained event plus its links, as the audit endpoints show it.
struct StoredAuditEvent: Pageable {
    let event: AuditEvent
    let prevHash: [UInt8]
    let hash: [UInt8]

    /// Columns in the forms `init(row:)` reads: time as exact microseconds (timestamptz's
    /// precision, so the chain hashes what the shipper hashed) and text[] as JSON arrays.
    static let columns = """
        id, (extract(epoch FROM time) * 1000000)::bigint AS time_us, account_id, kind, identity_id, identity_label,
        grant_id, server_id, session_digest, protocol_version, method, jsonrpc_id, tool, decision, code, rule, message,
        policy_id, policy_version, snapshot_version, tool_definition_hash, to_jsonb(argument_keys) AS argument_keys,
        arguments_hmac, arguments, result, to_jsonb(unenforced_limits) AS unenforced_limits, upstream_status,
        gateway_latency_ms, upstream_latency_ms, bytes_in, bytes_out, worker_id, approval_id, seq, prev_hash, hash
        """

    init(row: Row) throws {
        func json(_ column: String) throws -> JSONValue? {
            try row.decode(column, as: JSONB?.self).map { try JSONValue.parse($0.text) }
        }
        func strings(_ column: String) throws -> [String]? {
            try json(column)?.arrayValue?.compactMap(\.stringValue)
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
        event.workerID = try row.decode("worker_id")
        event.approvalID = try row.decode("approval_id")
        self.event = event
        prevHash = try row.decode("prev_hash")
        hash = try row.decode("hash")
    }

    var pageCursor: PageCursor { PageCursor(time: event.time, id: event.id) }

    /// SPEC 6's audit item. `latency_ms` is the gateway's whole handling time; the session appears
    /// only as the digest of its sealed id, and the arguments only as the policy let them be kept.
    var json: JSONValue {
        func hex(_ bytes: [UInt8]?) -> JSONValue { bytes.map { .string($0.lowercaseHex) } ?? .null }
        func number(_ value: Double?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        func integer(_ value: Int64?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        func strings(_ values: [String]?) -> JSONValue { values.map { .array($0.map(JSONValue.string)) } ?? .null }
        return [
            "id": .uuid(event.id),
            "time": .timestamp(event.time),
            "kind": .string(event.kind),
            "seq": integer(event.seq),
            "identity_id": .uuid(event.identityID),
            "identity_label": .string(event.identityLabel),
            "grant_id": .uuid(event.grantID),
            "server_id": .uuid(event.serverID),
            "session_digest": hex(event.sessionDigest),
            "protocol_version": .string(event.protocolVersion),
            "method": .string(event.method),
            "jsonrpc_id": event.jsonrpcID ?? .null,
            "tool": .string(event.tool),
            "decision": .string(event.decision),
            "code": .string(event.code),
            "rule": .string(event.rule),
            "message": .string(event.message),
            "policy_id": .uuid(event.policyID),
            "policy_version": integer(event.policyVersion.map(Int64.init)),
            "snapshot_version": integer(event.snapshotVersion),
            "tool_definition_hash": .string(event.toolDefinitionHash),
            "argument_keys": strings(event.argumentKeys),
            "arguments_hmac": hex(event.argumentsHMAC),
            "arguments": event.arguments ?? .null,
            "result": event.result ?? .null,
            "unenforced_limits": strings(event.unenforcedLimits),
            "upstream_status": integer(event.upstreamStatus.map(Int64.init)),
            "latency_ms": number(event.gatewayLatencyMs),
            "upstream_latency_ms": number(event.upstreamLatencyMs),
            "bytes_in": integer(event.bytesIn),
            "bytes_out": integer(event.bytesOut),
            "worker_id": .string(event.workerID),
            "approval_id": .uuid(event.approvalID),
            "hash": hex(hash),
        ]
    }
}
