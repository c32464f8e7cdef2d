import NIOConcurrencyHelpers
import PolicyEngine
import Shared

/// The counter units this worker holds (issue 11 item 1): leased in blocks from PostgreSQL by
/// `PostgresCounterStore` and spent here, so most calls count without a database round trip. A
/// call takes all of its counters' amounts or none. A counter short of units is refilled by one
/// call at a time; the others that lack it wait for that refill and try again, so many calls at
/// once on one counter do not each go to the database.
final class CounterLeases: Sendable {
    /// The units held for one counter window.
    struct Lease {
        /// Names the window (a reservation of it; its amount does not matter).
        let window: CounterReservation
        /// Leased and not yet spent.
        var available = 0.0
        /// Spent since the last report to the database; negative after a release of reported units.
        var unreported = 0.0
        var lastUsed: PolicyTime
        /// Calls waiting for the refill in flight; nil when none is.
        var waiters: [CheckedContinuation<Void, Never>]?
        /// A settlement of this window is in flight.
        var settling = false
    }

    /// A counter window a call lacks units of.
    struct Shortfall: Sendable {
        let window: CounterReservation
        let need: Double
    }

    /// What a call's attempt to take its amounts came to.
    enum Take {
        case taken
        /// Another call is refilling this window: wait for it (`waitForRefill`), then take again.
        case wait(String)
        /// These windows lack units and are now marked as refilling by this call, which ends the
        /// refill with `refilled` either way.
        case refill([Shortfall])
    }

    /// What the database is told about one window in a settlement.
    struct Settlement: Sendable {
        let window: CounterReservation
        let spent: Double
        let returned: Double
    }

    private let leases = NIOLockedValueBox([String: Lease]())

    func take(_ reservations: [CounterReservation], now: PolicyTime) -> Take {
        // Two limits of one call may share a counter, so amounts add up per window.
        var wanted: [String: (window: CounterReservation, amount: Double)] = [:]
        for reservation in reservations { wanted[reservation.storageKey, default: (reservation, 0)].amount += reservation.amount }
        return leases.withLockedValue { leases in
            var shortfalls: [Shortfall] = []
            for (key, want) in wanted {
                let available = leases[key]?.available ?? 0
                if available >= want.amount { continue }
                if leases[key]?.waiters != nil { return .wait(key) }
                shortfalls.append(Shortfall(window: want.window, need: want.amount - available))
            }
            guard shortfalls.isEmpty else {
                for shortfall in shortfalls {
                    leases[shortfall.window.storageKey, default: Lease(window: shortfall.window, lastUsed: now)].waiters = []
                }
                return .refill(shortfalls.sorted { $0.window.storageKey < $1.window.storageKey })
            }
            for (key, want) in wanted where want.amount > 0 {
                leases[key]!.available -= want.amount
                leases[key]!.unreported += want.amount
                leases[key]!.lastUsed = now
            }
            return .taken
        }
    }

    /// Returns once the refill of `key` in flight (if any) has ended.
    func waitForRefill(of key: String) async {
        await withCheckedContinuation { waiter in
            let parked = leases.withLockedValue { leases in
                guard leases[key]?.waiters != nil else { return false }
                leases[key]!.waiters!.append(waiter)
                return true
            }
            if !parked { waiter.resume() }
        }
    }

    /// Ends the refill of `shortfalls` (marked by `take`), adding what the database granted
    /// (nil: nothing, the refill failed), and wakes the calls that waited for it.
    func refilled(_ shortfalls: [Shortfall], granted: [Double]?) {
        let waiters = leases.withLockedValue { leases in
            shortfalls.enumerated().flatMap { index, shortfall in
                let key = shortfall.window.storageKey
                leases[key]?.available += granted?[index] ?? 0
                defer { leases[key]?.waiters = nil }
                return leases[key]?.waiters ?? []
            }
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Units held and unspent in `reservation`'s window.
    func available(_ reservation: CounterReservation) -> Double {
        leases.withLockedValue { $0[reservation.storageKey]?.available ?? 0 }
    }

    /// Gives back what a call took, when it failed upstream (design.md §4 step 8): the units go back into
    /// this worker's blocks. Returns the reservations whose window this worker no longer holds
    /// (already given back to the database), which must be released there.
    func putBack(_ reservations: [CounterReservation]) -> [CounterReservation] {
        leases.withLockedValue { leases in
            reservations.filter { reservation in
                guard leases[reservation.storageKey] != nil else { return true }
                leases[reservation.storageKey]!.available += reservation.amount
                leases[reservation.storageKey]!.unreported -= reservation.amount
                return false
            }
        }
    }

    /// What to tell the database now: every window's unreported spending, and its unspent units
    /// when the window has ended, the block has been idle `idleAfter`, or `everything` (shutdown)
    /// is asked. Windows being refilled or settled are left for the next time. Each settlement
    /// returned must be ended with `settled`.
    func settlements(now: PolicyTime, idleAfter: Duration, everything: Bool) -> [Settlement] {
        leases.withLockedValue { leases in
            var settlements: [Settlement] = []
            for (key, lease) in leases where lease.waiters == nil && !lease.settling {
                let idle = now.millisecondsSince1970 - lease.lastUsed.millisecondsSince1970 >= idleAfter.wholeMilliseconds
                let returned = everything || idle || now >= lease.window.windowEnd ? lease.available : 0
                if lease.unreported == 0 && returned == 0 {
                    if lease.available == 0 { leases[key] = nil }
                    continue
                }
                leases[key]!.available -= returned
                leases[key]!.settling = true
                settlements.append(Settlement(window: lease.window, spent: lease.unreported, returned: returned))
            }
            return settlements.sorted { $0.window.storageKey < $1.window.storageKey }
        }
    }

    /// Ends `settlements`: reported spending is no longer owed, or, when the database could not be
    /// told, the units stay held and the spending stays owed for the next settlement.
    func settled(_ settlements: [Settlement], succeeded: Bool) {
        leases.withLockedValue { leases in
            for settlement in settlements {
                let key = settlement.window.storageKey
                if succeeded {
                    leases[key]?.unreported -= settlement.spent
                } else {
                    leases[key]?.available += settlement.returned
                }
                leases[key]?.settling = false
                if let lease = leases[key], lease.available == 0, lease.unreported == 0, lease.waiters == nil { leases[key] = nil }
            }
        }
    }

    /// Windows held (for tests).
    var count: Int { leases.withLockedValue { $0.count } }
}
