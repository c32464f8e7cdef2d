import NIOConcurrencyHelpers
import Shared

/// Counters this worker has seen full, until their window ends: a call against one is denied
/// without asking the database (SPEC 5.5). A window never un-fills before it ends except by a
/// release after an upstream failure, and then denying a little early is the safe side.
/// Ended windows are pruned as new ones are remembered (issue 10 item 16).
final class ExhaustedWindows: Sendable {
    private let until = NIOLockedValueBox(LiveWindows<Void>())

    /// The first reservation whose window is known to be full at `now`.
    func firstExhausted(in reservations: [CounterReservation], now: PolicyTime) -> CounterReservation? {
        until.withLockedValue { until in
            reservations.first { until.value($0.storageKey, at: now) != nil }
        }
    }

    func remember(_ reservation: CounterReservation, now: PolicyTime) {
        until.withLockedValue { until in
            until.pruneEndedWindows(now: now)
            until.set(reservation.storageKey, (), windowEnd: reservation.windowEnd)
        }
    }

    /// Windows remembered, ended ones not yet pruned included.
    var count: Int { until.withLockedValue { $0.count } }
}
