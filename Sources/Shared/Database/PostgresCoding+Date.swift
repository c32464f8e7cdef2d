import Foundation

/// timestamptz. Every session runs with `TimeZone=UTC` and `DateStyle=ISO` (set at connect), so the
/// server writes `2026-11-24 22:00:34.123456+00`; microseconds are the column's precision.
extension Date: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind {
        var seconds = time_t(floor(timeIntervalSince1970))
        let micros = Int(((timeIntervalSince1970 - Double(seconds)) * 1_000_000).rounded())
        var adjustedMicros = micros
        if adjustedMicros == 1_000_000 { seconds += 1; adjustedMicros = 0 }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let text = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), adjustedMicros
        )
        return PostgresBind(type: .timestamptz, text: text)
    }

    public static func accepts(_ type: PostgresType) -> Bool { type == .timestamptz || type == .timestamp }

    public init(postgresText bytes: ArraySlice<UInt8>, type: PostgresType) throws {
        guard let date = Self.parseISO(Array(bytes)) else {
            throw DatabaseError(.malformedValue, detail: "cannot read \(String(decoding: bytes, as: UTF8.self)) as Date")
        }
        self = date
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]`; anything else (infinity, BC dates) is nil.
    private static func parseISO(_ b: [UInt8]) -> Date? {
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= b.count else { return nil }
            var value = 0
            for _ in 0..<digits {
                let digit = Int(b[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
                index += 1
            }
            return value
        }
        func expect(_ char: Character) -> Bool {
            guard index < b.count, b[index] == char.asciiValue else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              expect(" "), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
              let second = number(2)
        else { return nil }
        var fraction = 0.0
        if index < b.count, b[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < b.count, (48...57).contains(b[index]) {
                fraction += Double(b[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < b.count {
            let sign = b[index] == UInt8(ascii: "-") ? -1 : 1
            guard b[index] == UInt8(ascii: "+") || b[index] == UInt8(ascii: "-") else { return nil }
            index += 1
            guard let hours = number(2) else { return nil }
            var minutes = 0
            if expect(":") { guard let m = number(2) else { return nil }; minutes = m }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        }
        guard index == b.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch - offsetSeconds) + fraction)
    }
}
