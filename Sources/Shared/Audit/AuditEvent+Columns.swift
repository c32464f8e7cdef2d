import Foundation
import JSON

extension AuditEvent {
    /// The event as JSON members named after the `audit_events` columns: the spool stores them and
    /// the chain hashes them, so both read one list. `time` and `seq` are the callers' own (the
    /// spool keeps microseconds and has no position yet; the chain hashes a fixed-format time and
    /// the position).
    public func columnMembers() -> JSONObject {
        func uuid(_ value: UUID?) -> JSONValue { value.map { .string($0.lowercaseText) } ?? .null }
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        func integer(_ value: Int64?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        func double(_ value: Double?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        func hex(_ value: [UInt8]?) -> JSONValue { value.map { .string($0.lowercaseHex) } ?? .null }
        func strings(_ value: [String]?) -> JSONValue { value.map { .array($0.map(JSONValue.string)) } ?? .null }
        func json(_ value: JSONValue?) -> JSONValue { value ?? .null }
        // The keys are distinct literals: `uniqueMembers` skips the duplicate check, which compared
        // every key with every earlier one (issue 11, the shipper's chaining).
        var members = JSONObject(uniqueMembers: [
            ("id", uuid(id)),
            ("account_id", uuid(accountID)),
            ("kind", .string(kind)),
            ("identity_id", uuid(identityID)),
            ("identity_label", text(identityLabel)),
            ("grant_id", uuid(grantID)),
            ("server_id", uuid(serverID)),
            ("session_digest", hex(sessionDigest)),
            ("protocol_version", text(protocolVersion)),
            ("method", text(method)),
            ("jsonrpc_id", json(jsonrpcID)),
            ("tool", text(tool)),
            ("decision", .string(decision)),
            ("code", text(code)),
            ("rule", text(rule)),
            ("message", text(message)),
            ("policy_id", uuid(policyID)),
            ("policy_version", integer(policyVersion.map(Int64.init))),
            ("snapshot_version", integer(snapshotVersion)),
            ("tool_definition_hash", text(toolDefinitionHash)),
            ("argument_keys", strings(argumentKeys)),
            ("arguments_hmac", hex(argumentsHMAC)),
            ("arguments", json(arguments)),
            ("result", json(result)),
            ("unenforced_limits", strings(unenforcedLimits)),
            ("upstream_status", integer(upstreamStatus.map(Int64.init))),
            ("gateway_latency_ms", double(gatewayLatencyMs)),
            ("upstream_latency_ms", double(upstreamLatencyMs)),
            ("bytes_in", integer(bytesIn)),
            ("bytes_out", integer(bytesOut)),
            ("worker_id", text(workerID)),
            ("approval_id", uuid(approvalID)),
        ])
        // Issue 14 item 6: added after events were already chained, so they are members only
        // when set; an event with neither hashes exactly as before (`AuditChain`, format 2).
        if authMethod != nil || authClientID != nil {
            members["auth_method"] = text(authMethod)
            members["auth_client_id"] = text(authClientID)
        }
        return members
    }
}
