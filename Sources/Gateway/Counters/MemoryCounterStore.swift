import NIOConcurrencyHelpers
import Shared

/// Counters in this process only (`--counters memory`): the same all-or-nothing semantics as the
/// PostgreSQL store, for a single worker with no database.
final class MemoryCounterStore: CounterStore {
    private struct Counts {
        var byKey: [String: (count: Double, windowEnd: PolicyTime)] = [:]
        var nextPrune = PolicyTime(millisecondsSince1970: 0)
    }

    private let counts = NIOLockedValueBox(Counts())

    func reserve(_ reservations: [CounterReservation], now: PolicyTime) async -> CounterReservationOutcome {
        counts.withLockedValue { counts in
            Self.pruneEndedWindows(&counts, now: now)
            // Check every counter before touching any, so a full one consumes nothing; two limits
            // of one call may share a counter, so amounts add up per key.
            var wanted: [String: Double] = [:]
            for reservation in reservations {
                wanted[reservation.storageKey, default: counts.byKey[reservation.storageKey]?.count ?? 0] += reservation.amount
                if wanted[reservation.storageKey]! > reservation.max { return .exhausted(reservation) }
            }
            for reservation in reservations {
                counts.byKey[reservation.storageKey, default: (0, reservation.windowEnd)].count += reservation.amount
            }
            return .reserved(unenforced: [])
        }
    }

    func release(_ reservations: [CounterReservation]) async {
        counts.withLockedValue { counts in
            for reservation in reservations {
                guard let entry = counts.byKey[reservation.storageKey] else { continue }
                counts.byKey[reservation.storageKey]?.count = Swift.max(0, entry.count - reservation.amount)
            }
        }
    }

    /// Ended windows are dropped at most once a second, so memory stays bounded by live windows.
    private static func pruneEndedWindows(_ counts: inout Counts, now: PolicyTime) {
        guard now >= counts.nextPrune else { return }
        counts.byKey = counts.byKey.filter { $0.value.windowEnd > now }
        counts.nextPrune = PolicyTime(millisecondsSince1970: now.millisecondsSince1970 + 1000)
    }
}
