import NIOConcurrencyHelpers
import PolicyEngine
import Shared

/// Counters this worker has seen full, until their window ends: a call against one is denied
/// without asking the database (design.md §5.5), until the window ends or, when `until` is given (units
/// of it are leased to workers and may come back, issue 11 item 1), until then. Denying a little
/// early after a release or a returned lease is the safe side.
/// Ended windows are pruned as new ones are remembered (issue 10 item 16).
final class ExhaustedWindows: Sendable {
    private let until = NIOLockedValueBox(LiveWindows<Void>())

    /// The first reservation whose window is known to be full at `now`.
    func firstExhausted(in reservations: [CounterReservation], now: PolicyTime) -> CounterReservation? {
        until.withLockedValue { until in
            reservations.first { until.value($0.storageKey, at: now) != nil }
        }
    }

    func remember(_ reservation: CounterReservation, now: PolicyTime, until end: PolicyTime? = nil) {
        until.withLockedValue { until in
            until.pruneEndedWindows(now: now)
            until.set(reservation.storageKey, (), windowEnd: min(end ?? reservation.windowEnd, reservation.windowEnd))
        }
    }

    /// Windows remembered, ended ones not yet pruned included.
    var count: Int { until.withLockedValue { $0.count } }
}
