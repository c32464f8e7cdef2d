import PolicyEngine
import Shared

/// Values per counter window (keyed by `CounterReservation.storageKey`) that matter only until the
/// window ends. Ended windows are dropped at most once a second, so the table stays bounded by the
/// windows still live however many pass through it (issue 10 item 16), at a cost independent of
/// the call rate.
struct LiveWindows<Value> {
    private var entries: [String: (value: Value, windowEnd: PolicyTime)] = [:]
    private var nextPrune = PolicyTime(millisecondsSince1970: 0)

    /// Windows held, ended ones not yet pruned included.
    var count: Int { entries.count }

    /// The value of `key` if its window is still live at `now`.
    func value(_ key: String, at now: PolicyTime) -> Value? {
        guard let entry = entries[key], now < entry.windowEnd else { return nil }
        return entry.value
    }

    /// Sets the value of `key`, whose window ends at `windowEnd`.
    mutating func set(_ key: String, _ value: Value, windowEnd: PolicyTime) {
        entries[key] = (value, windowEnd)
    }

    /// Changes the value of `key` in place, if it is held.
    mutating func modify(_ key: String, _ change: (inout Value) -> Void) {
        guard var entry = entries[key] else { return }
        change(&entry.value)
        entries[key] = entry
    }

    mutating func pruneEndedWindows(now: PolicyTime) {
        guard now >= nextPrune else { return }
        entries = entries.filter { $0.value.windowEnd > now }
        nextPrune = PolicyTime(millisecondsSince1970: now.millisecondsSince1970 + 1000)
    }
}

extension LiveWindows: Sendable where Value: Sendable {}
