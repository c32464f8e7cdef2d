/// Parsers for IPv4 text.
enum IPv4Literal {
    /// Exactly four decimal parts without leading zeros (`10.0.0.1`), for configuration.
    static func dottedQuad(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), part == "0" || !part.hasPrefix("0"),
                  let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    /// The forms `inet_aton` accepts: one to four parts, each decimal, octal (leading `0`) or
    /// hexadecimal (`0x`); the last part fills the remaining bytes (`127.1` is 127.0.0.1,
    /// `2130706433` is one 32-bit number). Attackers use these to slip loopback past a check that
    /// only knows dotted quads, while the resolver happily connects to them.
    static func inetAton(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var numbers: [UInt64] = []
        for part in parts {
            guard let number = number(part) else { return nil }
            numbers.append(number)
        }
        let last = numbers.removeLast()
        guard numbers.allSatisfy({ $0 <= 0xFF }) else { return nil }
        let lastBits = 32 - 8 * numbers.count
        guard last < (UInt64(1) << lastBits) else { return nil }
        var value: UInt64 = 0
        for (index, byte) in numbers.enumerated() { value |= byte << (24 - 8 * index) }
        return UInt32(value | last)
    }

    /// One part; capped at 32 bits of value so a long digit string cannot overflow.
    private static func number(_ part: Substring) -> UInt64? {
        let lower = part.lowercased()
        let (digits, radix): (Substring, Int) =
            if lower.hasPrefix("0x") { (lower.dropFirst(2)[...], 16) }
            else if lower.hasPrefix("0"), lower.count > 1 { (lower.dropFirst()[...], 8) }
            else { (lower[...], 10) }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }),
              let value = UInt64(digits, radix: radix), value <= UInt32.max else { return nil }
        return value
    }
}
