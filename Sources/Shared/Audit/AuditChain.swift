import Crypto
import Foundation

/// The per-account hash chain of the audit log (SPEC 7): `hash = SHA-256(prev_hash || canonical(event))`,
/// the first event of an account chained to 32 zero bytes. The gateway's shipper computes it when it
/// inserts a batch, the control plane recomputes it in `GET /v1/audit/verify`; this file is the one
/// definition both use.
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
/// | `jsonrpc_id`, `arguments`, `result` | the JSON value, numbers normalized (below) |
/// | every other column (`kind`, `identity_label`, `protocol_version`, `method`, `tool`, `decision`, `code`, `rule`, `message`, `tool_definition_hash`, `worker_id`) | string |
///
/// Numbers inside JSON values are written as plain decimals with no exponent, no leading zeros, no
/// trailing fraction zeros and no `-0` (`1E+2` → `100`, `1.50` → `1.5`): jsonb keeps a number's
/// value but not its spelling, so hashing the spelling would break the chain on a faithful read.
/// Changing any of this changes every hash: it is versioned by never changing it.
public enum AuditChain {
    /// The `prev_hash` of an account's first event.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    public static func hash(previous: [UInt8], event: AuditEvent) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: canonicalBytes(of: event))
        return Array(hasher.finalize())
    }

    public static func canonicalBytes(of event: AuditEvent) -> [UInt8] {
        canonicalObject(of: event).canonicalBytes()
    }

    static func canonicalObject(of event: AuditEvent) -> JSONValue {
        var object = event.columnMembers(normalizingJSON: normalizingNumbers)
        object["time"] = .string(timestamp(microseconds: event.timeMicroseconds))
        object["seq"] = .number(JSONNumber(event.seq))
        return .object(object)
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` from integer arithmetic only, so no formatter or locale can
    /// change a digit (days to civil date: Howard Hinnant's `civil_from_days`).
    static func timestamp(microseconds: Int64) -> String {
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

    static func normalizingNumbers(_ value: JSONValue) -> JSONValue {
        switch value {
        case .number(let number): .number(JSONNumber(validatedText: plainDecimal(number.text)))
        case .array(let elements): .array(elements.map(normalizingNumbers))
        case .object(let object): .object(JSONObject(object.members.map { ($0.key, normalizingNumbers($0.value)) }))
        case .null, .bool, .string: value
        }
    }

    /// The shortest plain decimal of a JSON number literal's exact value.
    static func plainDecimal(_ literal: String) -> String {
        var text = Substring(literal)
        let negative = text.first == "-"
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...].replacingOccurrences(of: "+", with: "")) ?? 0
            text = text[..<e]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        var digits = Array(parts[0].utf8) + (parts.count > 1 ? Array(parts[1].utf8) : [])
        // The decimal point sits after `point` digits of `digits`.
        var point = parts[0].count + exponent
        while digits.first == UInt8(ascii: "0") { digits.removeFirst(); point -= 1 }
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        guard !digits.isEmpty else { return "0" }
        var out = negative ? "-" : ""
        if point <= 0 {
            out += "0." + String(repeating: "0", count: -point) + String(decoding: digits, as: UTF8.self)
        } else if point >= digits.count {
            out += String(decoding: digits, as: UTF8.self) + String(repeating: "0", count: point - digits.count)
        } else {
            out += String(decoding: digits[..<point], as: UTF8.self) + "." + String(decoding: digits[point...], as: UTF8.self)
        }
        return out
    }
}
