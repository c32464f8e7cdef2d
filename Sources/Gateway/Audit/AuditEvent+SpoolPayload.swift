import Foundation
import JSON
import Shared

/// An event as a JSON object with the `audit_events` column names: the payload of `json` spool
/// segments (written before issue 11, still read so an upgrade ships them) and of
/// `audit_dead_letters`. `JSONValue` carries `jsonrpc_id`, arguments and results with their
/// numbers' exact text, so the event read back hashes exactly as the one written.
extension AuditEvent {
    func spoolPayload() -> [UInt8] {
        var object = columnMembers()
        object["time_us"] = .number(JSONNumber(timeMicroseconds))
        return JSONValue.object(object).serializedBytes()
    }

    /// The spooled event; its `seq` is 0 until the shipper chains it.
    init(spoolPayload payload: ArraySlice<UInt8>) throws {
        let object = try JSONParser(maxDepth: AuditEvent.maxStoredJSONDepth).parse(Array(payload))
        // JSON null and an absent member both mean "no value" (JSONValue's nil literal is `.null`, so no flatMap).
        func field(_ key: String) -> JSONValue? {
            guard let value = object[key], !value.isNull else { return Optional<JSONValue>.none }
            return value
        }
        func text(_ key: String) -> String? { field(key)?.stringValue }
        func uuid(_ key: String) throws -> UUID? {
            guard let string = text(key) else { return nil }
            guard let value = UUID(uuidString: string) else { throw AuditSpoolError.corruptRecord }
            return value
        }
        func integer(_ key: String) -> Int64? { field(key)?.numberValue?.int64Value }
        func double(_ key: String) -> Double? { field(key)?.numberValue?.doubleValue }
        func strings(_ key: String) -> [String]? { field(key)?.arrayValue?.compactMap(\.stringValue) }
        func bytes(_ key: String) throws -> [UInt8]? {
            guard let string = text(key) else { return nil }
            guard let value = hexBytes(string) else { throw AuditSpoolError.corruptRecord }
            return value
        }
        guard let id = try uuid("id"), let time = integer("time_us"), let account = try uuid("account_id"),
              let kind = text("kind"), let decision = text("decision")
        else { throw AuditSpoolError.corruptRecord }
        self.init(id: id, timeMicroseconds: time, accountID: account, kind: kind, decision: decision, seq: 0)
        identityID = try uuid("identity_id")
        identityLabel = text("identity_label")
        grantID = try uuid("grant_id")
        serverID = try uuid("server_id")
        sessionDigest = try bytes("session_digest")
        protocolVersion = text("protocol_version")
        method = text("method")
        jsonrpcID = field("jsonrpc_id")
        tool = text("tool")
        code = text("code")
        rule = text("rule")
        message = text("message")
        policyID = try uuid("policy_id")
        policyVersion = integer("policy_version").map(Int.init)
        snapshotVersion = integer("snapshot_version")
        toolDefinitionHash = text("tool_definition_hash")
        argumentKeys = strings("argument_keys")
        argumentsHMAC = try bytes("arguments_hmac")
        arguments = field("arguments")
        result = field("result")
        unenforcedLimits = strings("unenforced_limits")
        upstreamStatus = integer("upstream_status").map(Int.init)
        gatewayLatencyMs = double("gateway_latency_ms")
        upstreamLatencyMs = double("upstream_latency_ms")
        bytesIn = integer("bytes_in")
        bytesOut = integer("bytes_out")
        workerID = text("worker_id")
        approvalID = try uuid("approval_id")
        authMethod = text("auth_method")
        authClientID = text("auth_client_id")
    }
}

private func hexBytes(_ string: String) -> [UInt8]? {
    let digits = Array(string.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var bytes = [UInt8]()
    bytes.reserveCapacity(digits.count / 2)
    for index in stride(from: 0, to: digits.count, by: 2) {
        guard let pair = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
        bytes.append(pair)
    }
    return bytes
}
