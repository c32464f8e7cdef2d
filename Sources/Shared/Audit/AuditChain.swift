import Crypto
import Foundation
import JSON

/// The per-account hash chain of the audit log (design.md §7, keyed by issue 10 item 20):
/// `hash = HMAC-SHA256(key, prev_hash || canonical(event))`, the first event of an account chained
/// to 32 zero bytes, `key` the `AuditChainKeys` version the row names. The gateway's shipper
/// computes it when it inserts a batch, the control plane recomputes it in `GET /v1/audit/verify`;
/// this file is the one definition both use. A keyed MAC rather than a plain SHA-256: whoever can
/// write the database but does not hold the operator's secret keys cannot recompute a valid chain.
///
/// `canonical(event)` is the canonical JSON (`JSONValue.canonicalBytes`: keys sorted by UTF-8 bytes,
/// no whitespace, minimal string escapes) of one object that always has exactly these members, a
/// missing value being `null`:
///
/// | key | value |
/// |---|---|
/// | `id`, `account_id`, `identity_id`, `grant_id`, `server_id`, `policy_id`, `approval_id` | lowercase UUID string |
/// | `time` | `YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC, always six fraction digits |
/// | `seq`, `policy_version`, `snapshot_version`, `upstream_status`, `bytes_in`, `bytes_out` | integer |
/// | `gateway_latency_ms`, `upstream_latency_ms` | number as `JSONNumber(Double)` writes it |
/// | `session_digest`, `arguments_hmac` | lowercase hex string |
/// | `argument_keys`, `unenforced_limits` | array of strings, in stored order |
/// | `jsonrpc_id`, `arguments`, `result` | the JSON value, numbers exactly as the client wrote them |
/// | every other column (`kind`, `identity_label`, `protocol_version`, `method`, `tool`, `decision`, `code`, `rule`, `message`, `tool_definition_hash`, `worker_id`) | string |
///
/// Format 2 (issue 14 item 6) adds `auth_method` and `auth_client_id` (strings or `null`), both
/// present when either is set and both absent otherwise: an event that has neither (every event
/// chained before) is hashed in format 1, exactly as it was, and setting either on a stored row
/// changes its hash like any other edit.
///
/// Strings are the values the event holds (NUL included), not their escaped column form
/// (`AuditStoredText`). The JSON columns store their exact JSON text, so a number is hashed as it
/// was written and never expanded: `1e2000000000` stays 12 characters (issue 10 item 1).
/// Changing any of this changes every hash: it is versioned by never changing what an existing
/// event hashes to, only adding members that older events do not have.
public enum AuditChain {
    /// The `prev_hash` of an account's first event.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    public static func hash(previous: [UInt8], event: AuditEvent, key: SymmetricKey) -> [UInt8] {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: previous)
        mac.update(data: canonicalBytes(of: event))
        return Array(mac.finalize())
    }

    /// The next link under the active key: its hash and the key version to store with it.
    public static func link(previous: [UInt8], event: AuditEvent, keys: AuditChainKeys) -> (hash: [UInt8], keyVersion: String) {
        (hash(previous: previous, event: event, key: keys.activeKey), keys.activeVersion)
    }

    public static func canonicalBytes(of event: AuditEvent) -> [UInt8] {
        canonicalObject(of: event).canonicalBytes()
    }

    static func canonicalObject(of event: AuditEvent) -> JSONValue {
        var object = event.columnMembers()
        object["time"] = .string(timestamp(microseconds: event.timeMicroseconds))
        object["seq"] = .number(JSONNumber(event.seq))
        return .object(object)
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` from integer arithmetic only, so no formatter or locale can
    /// change a digit (days to civil date: Howard Hinnant's `civil_from_days`).
    public static func timestamp(microseconds: Int64) -> String {
        let perDay: Int64 = 86_400_000_000
        var days = microseconds / perDay
        var rest = microseconds % perDay
        if rest < 0 { rest += perDay; days -= 1 }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let seconds = rest / 1_000_000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):"
            + "\(pad(seconds % 60, 2)).\(pad(rest % 1_000_000, 6))Z"
    }
}
