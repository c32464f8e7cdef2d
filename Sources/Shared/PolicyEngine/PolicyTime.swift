import JSON

/// An instant in UTC, passed into the engine by its caller: the engine never reads a clock, so a
/// decision is a pure function of policy, call and time, and tests pin the time exactly.
public struct PolicyTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    public init(secondsSince1970: Int64) {
        self.millisecondsSince1970 = secondsSince1970 * 1000
    }

    public static func < (lhs: PolicyTime, rhs: PolicyTime) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }

    public var description: String { "\(millisecondsSince1970)ms" }
}

/// A counter window (design.md §4): calendar-aligned in UTC.
///
/// Unix time has no leap seconds and its epoch is midnight UTC, so aligning to a multiple of the
/// window's length is exactly "the current second, minute, hour or UTC day".
public enum CounterWindow: String, Sendable, CaseIterable {
    case second, minute, hour, day

    public var milliseconds: Int64 {
        switch self {
        case .second: 1_000
        case .minute: 60_000
        case .hour: 3_600_000
        case .day: 86_400_000
        }
    }

    public func start(containing time: PolicyTime) -> PolicyTime {
        let ms = time.millisecondsSince1970
        // Floor division, so instants before 1970 still land in the window that contains them.
        let index = ms >= 0 ? ms / milliseconds : (ms - milliseconds + 1) / milliseconds
        return PolicyTime(millisecondsSince1970: index * milliseconds)
    }

    public func end(containing time: PolicyTime) -> PolicyTime {
        PolicyTime(millisecondsSince1970: start(containing: time).millisecondsSince1970 + milliseconds)
    }

    /// Whole seconds until the window resets, rounded up so "try again in 17s" is never too early;
    /// at least 1.
    public func secondsUntilReset(from time: PolicyTime) -> Int {
        let remaining = end(containing: time).millisecondsSince1970 - time.millisecondsSince1970
        return max(1, Int((remaining + 999) / 1000))
    }
}
