import Foundation
import JSON
import Shared

/// An `audit_events` row: the chained event plus its links, as the audit endpoints show it.
struct StoredAuditEvent: Pageable {
    let event: AuditEvent
    let prevHash: [UInt8]
    let hash: [UInt8]
    /// The version of the secret key the link was chained under (issue 10 item 20).
    let keyVersion: String?

    /// Reads a row selected with `AuditEvent.storedColumns`.
    init(row: Row) throws {
        event = try AuditEvent(storedRow: row)
        prevHash = try row.decode("prev_hash")
        hash = try row.decode("hash")
        keyVersion = try row.decode("chain_key_version")
    }

    var pageCursor: PageCursor { PageCursor(time: event.time, id: event.id) }

    /// design.md §6's audit item. `latency_ms` is the gateway's whole handling time; the session appears
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
            "auth_method": .string(event.authMethod),
            "auth_client_id": .string(event.authClientID),
            "hash": hex(hash),
        ]
    }
}
