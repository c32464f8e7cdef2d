import JSON

/// Durations written as in the policy's approval block: `"15m"`, `"25s"`, `"1h30m"`, `"2d"`.
enum PolicyDuration {
    /// Seconds, or nil when the text is not one or more `<digits><s|m|h|d>` groups or is zero.
    static func seconds(_ text: String) -> Int? {
        var total = 0
        var digits = 0
        var sawDigit = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits = digits * 10 + Int(byte - UInt8(ascii: "0"))
                sawDigit = true
                // Reject absurd values before they overflow; a year is already far beyond any hold.
                if digits > 10_000_000 { return nil }
            case UInt8(ascii: "s"), UInt8(ascii: "m"), UInt8(ascii: "h"), UInt8(ascii: "d"):
                guard sawDigit else { return nil }
                let unit = switch byte {
                case UInt8(ascii: "s"): 1
                case UInt8(ascii: "m"): 60
                case UInt8(ascii: "h"): 3600
                default: 86400
                }
                total += digits * unit
                digits = 0
                sawDigit = false
            default:
                return nil
            }
        }
        guard !sawDigit, total > 0 else { return nil }
        return total
    }

    /// The shortest readable form, for messages: `14m`, `1h5m`, `40s`.
    static func text(seconds: Int) -> String {
        if seconds < 60 { return "\(seconds)s" }
        var parts = ""
        var rest = seconds
        for (unit, name) in [(86400, "d"), (3600, "h"), (60, "m")] where rest >= unit {
            parts += "\(rest / unit)\(name)"
            rest %= unit
        }
        return rest > 0 && seconds < 3600 ? parts + "\(rest)s" : parts
    }
}
