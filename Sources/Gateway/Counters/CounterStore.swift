import PolicyEngine
import Shared

/// Where rate-limit and quota counters live (design.md §5.5): PostgreSQL, shared by every worker, or
/// memory, for a single worker with no database. Both reserve all of a call's counters or none.
protocol CounterStore: Sendable {
    /// Reserves every counter of `reservations` atomically: all are counted, or none is.
    func reserve(_ reservations: [CounterReservation], now: PolicyTime) async -> CounterReservationOutcome
    /// Gives back what `reserve` counted, when the call failed upstream (design.md §4 step 8).
    func release(_ reservations: [CounterReservation]) async
}

/// What a reservation attempt came to.
enum CounterReservationOutcome: Sendable, Equatable {
    /// Counted: forward the call. `unenforced` lists `fail: open` limits that could not be
    /// checked because the store was unreachable; the audit row names them.
    case reserved(unenforced: [CounterReservation])
    /// This counter's window is full: deny with its `exhaustedDenial(now:)`.
    case exhausted(CounterReservation)
    /// The store is unreachable and this `fail: closed` limit forbids guessing: deny with its
    /// `storeUnavailableDenial()`.
    case unavailable(CounterReservation)

    /// The outcome when the store cannot be asked: closed limits deny, open ones are let through.
    static func storeUnreachable(_ reservations: [CounterReservation]) -> CounterReservationOutcome {
        if let closed = reservations.first(where: { $0.fail == .closed }) { return .unavailable(closed) }
        return .reserved(unenforced: reservations)
    }
}
