import NIOConcurrencyHelpers
import Shared

/// Counters this worker has seen full, until their window ends: a call against one is denied
/// without asking the database (SPEC 5.5). A window never un-fills before it ends except by a
/// release after an upstream failure, and then denying a little early is the safe side.
final class ExhaustedWindows: Sendable {
    private let until = NIOLockedValueBox<[String: PolicyTime]>([:])

    /// The first reservation whose window is known to be full at `now`.
    func firstExhausted(in reservations: [CounterReservation], now: PolicyTime) -> CounterReservation? {
        until.withLockedValue { until in
            reservations.first { reservation in
                guard let end = until[reservation.storageKey] else { return false }
                if now < end { return true }
                until[reservation.storageKey] = nil
                return false
            }
        }
    }

    func remember(_ reservation: CounterReservation) {
        until.withLockedValue { $0[reservation.storageKey] = reservation.windowEnd }
    }
}
