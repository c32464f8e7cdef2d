/// A JSON number kept as the exact text it was written with.
///
/// Converting to `Double` on parse would round 20-digit integers and change `1.0` into `1`, so the
/// message forwarded upstream and the canonical form hashed for audit would differ from the one the
/// client sent. Numeric views are computed on demand.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The literal, always valid RFC 8259 number syntax.
    public let text: String

    /// Only the parser and the numeric initialisers create numbers, so `text` is always valid.
    init(validatedText: String) { text = validatedText }

    public init(_ value: Int) { text = String(value) }

    public init(_ value: Int64) { text = String(value) }

    /// Non-finite doubles have no JSON form; they become `0` rather than trapping.
    public init(_ value: Double) {
        guard value.isFinite else {
            text = "0"
            return
        }
        if value == value.rounded(), abs(value) < 1e15 {
            text = String(Int64(value))
        } else {
            text = "\(value)"
        }
    }

    public var description: String { text }

    public var doubleValue: Double { Double(text) ?? .nan }

    /// The value as an `Int64` when the literal is an integer that fits exactly.
    public var int64Value: Int64? {
        if let exact = Int64(text) { return exact }
        let d = doubleValue
        guard d == d.rounded(), abs(d) < 9.0e15 else { return nil }
        return Int64(d)
    }

    /// Numeric comparison: exact for integers that fit in 64 bits, else by `Double`.
    public func compare(_ other: JSONNumber) -> Int {
        if let a = Int64(text), let b = Int64(other.text) {
            return a < b ? -1 : (a == b ? 0 : 1)
        }
        let a = doubleValue, b = other.doubleValue
        return a < b ? -1 : (a == b ? 0 : 1)
    }

    /// Numbers are equal by value, so `1`, `1.0` and `1e0` match in policy conditions.
    public func numericallyEquals(_ other: JSONNumber) -> Bool {
        text == other.text || compare(other) == 0
    }
}
