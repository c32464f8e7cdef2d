import NIOConcurrencyHelpers
import PolicyEngine
import Shared

/// Counters in this process only (`--counters memory`): the same all-or-nothing semantics as the
/// PostgreSQL store, for a single worker with no database.
final class MemoryCounterStore: CounterStore {
    private let counts = NIOLockedValueBox(LiveWindows<Double>())

    func reserve(_ reservations: [CounterReservation], now: PolicyTime) async -> CounterReservationOutcome {
        counts.withLockedValue { counts in
            counts.pruneEndedWindows(now: now)
            // Check every counter before touching any, so a full one consumes nothing; two limits
            // of one call may share a counter, so amounts add up per key.
            var wanted: [String: Double] = [:]
            for reservation in reservations {
                wanted[reservation.storageKey, default: counts.value(reservation.storageKey, at: now) ?? 0] += reservation.amount
                if wanted[reservation.storageKey]! > reservation.max { return .exhausted(reservation) }
            }
            for reservation in reservations {
                counts.set(reservation.storageKey, wanted[reservation.storageKey]!, windowEnd: reservation.windowEnd)
            }
            return .reserved(unenforced: [])
        }
    }

    func release(_ reservations: [CounterReservation]) async {
        counts.withLockedValue { counts in
            for reservation in reservations {
                counts.modify(reservation.storageKey) { $0 = Swift.max(0, $0 - reservation.amount) }
            }
        }
    }
}
