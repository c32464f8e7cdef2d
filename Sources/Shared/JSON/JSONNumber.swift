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

    /// Numeric comparison: exact for integer literals of any length (ids and amounts beyond 2^53
    /// must not compare equal because `Double` rounds them), else by `Double`.
    public func compare(_ other: JSONNumber) -> Int {
        // Policy bounds and arguments are almost always small integers: compare them without
        // building any intermediate value.
        if let a = Self.smallInteger(text), let b = Self.smallInteger(other.text) { return a < b ? -1 : (a == b ? 0 : 1) }
        if let a = IntegerLiteral(text), let b = IntegerLiteral(other.text) { return a.compare(b) }
        let a = doubleValue, b = other.doubleValue
        return a < b ? -1 : (a == b ? 0 : 1)
    }

    /// The value of an integer literal of at most 18 digits (always fits in `Int64`), else nil.
    private static func smallInteger(_ text: String) -> Int64? {
        var value: Int64 = 0
        var negative = false
        var digits = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "-"), digits == 0, !negative {
                negative = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 18 else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            digits += 1
        }
        guard digits > 0 else { return nil }
        return negative ? -value : value
    }

    /// Numbers are equal by value, so `1`, `1.0` and `1e0` match in policy conditions.
    public func numericallyEquals(_ other: JSONNumber) -> Bool {
        text == other.text || compare(other) == 0
    }
}

/// An integer literal as sign and digits; JSON forbids leading zeros, so longer means larger.
private struct IntegerLiteral {
    let negative: Bool
    let digits: Substring.UTF8View

    init?(_ text: String) {
        guard !text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else {
            return nil
        }
        let body = text.hasPrefix("-") ? text.dropFirst() : text[...]
        // "-0" is zero, not a negative number.
        negative = text.hasPrefix("-") && body != "0"
        digits = body.utf8
    }

    func compare(_ other: IntegerLiteral) -> Int {
        if negative != other.negative { return negative ? -1 : 1 }
        var magnitude = digits.count == other.digits.count
            ? (digits.elementsEqual(other.digits) ? 0 : (digits.lexicographicallyPrecedes(other.digits) ? -1 : 1))
            : (digits.count < other.digits.count ? -1 : 1)
        if negative { magnitude = -magnitude }
        return magnitude
    }
}
