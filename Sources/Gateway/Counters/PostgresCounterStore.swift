import Foundation
import Logging
import Shared

/// Counters in PostgreSQL, shared by every worker. One transaction per call reserves each counter
/// with one conditional upsert (it counts only if the total stays within `max`); a counter that
/// would overflow rolls the whole transaction back, so no other counter of the call is consumed.
/// `synchronous_commit = off`: losing the last few increments in a server crash is acceptable for
/// rate limits, and it keeps the commit off the disk's latency.
///
/// Windows are planned on the worker's clock, and every worker must count into the same window as
/// the others: each reservation reads the database's clock, and a worker whose clock is more than
/// `maxClockSkew` away from it treats the store as unreachable (the limit's `fail` decides), so
/// the windows of all counting workers agree to within that bound (issue 10 item 16).
struct PostgresCounterStore: CounterStore {
    let database: Database
    let exhausted = ExhaustedWindows()
    let logger: Logger
    var maxClockSkew = Duration.seconds(2)
    /// The worker's clock, as the engine reads it to plan windows.
    var clock: @Sendable () -> Date = { Date() }

    private struct ClockSkewed: Error {
        let seconds: Double
    }

    private struct WindowFull: Error {
        let reservation: CounterReservation
        /// No amount at all fits any more (not just this call's): safe to remember.
        let completely: Bool
    }

    func reserve(_ reservations: [CounterReservation], now: PolicyTime) async -> CounterReservationOutcome {
        if reservations.isEmpty { return .reserved(unenforced: []) }
        if let full = exhausted.firstExhausted(in: reservations, now: now) { return .exhausted(full) }
        // A fixed order keeps two calls that share counters from deadlocking on each other's rows.
        let ordered = reservations.sorted { $0.storageKey < $1.storageKey }
        do {
            try await database.hotPathTransaction { tx in
                let asked = clock()
                let clocks = try await tx.query("SELECT set_config('synchronous_commit', 'off', true), clock_timestamp() AS database_now")
                let skew = Self.skew(of: try clocks[0].decode("database_now", as: Date.self), between: asked, and: clock())
                guard abs(skew) <= Double(maxClockSkew.components.seconds) else { throw ClockSkewed(seconds: skew) }
                for reservation in ordered {
                    let counted = try await tx.query("""
                        INSERT INTO counters (account_id, scope_kind, scope_id, counter, window_kind, window_start, window_end, count)
                        SELECT \(reservation.accountID)::uuid, \(reservation.scope.rawValue), \(reservation.scopeID),
                               \(reservation.counter), \(reservation.window.rawValue), \(Self.date(reservation.windowStart)),
                               \(Self.date(reservation.windowEnd)), \(reservation.amount)::numeric
                        WHERE \(reservation.amount)::numeric <= \(reservation.max)::numeric
                        ON CONFLICT (account_id, scope_kind, scope_id, counter, window_kind, window_start) DO UPDATE
                        SET count = counters.count + excluded.count
                        WHERE counters.count + excluded.count <= \(reservation.max)::numeric
                        RETURNING count
                        """)
                    if counted.isEmpty {
                        // With `increment_from` a large amount may not fit where a smaller one
                        // would: only a window with no room at all is remembered as full.
                        let room = try await tx.query("""
                            SELECT count >= \(reservation.max)::numeric AS full FROM counters
                            WHERE account_id = \(reservation.accountID)::uuid AND scope_kind = \(reservation.scope.rawValue)
                              AND scope_id = \(reservation.scopeID) AND counter = \(reservation.counter)
                              AND window_kind = \(reservation.window.rawValue) AND window_start = \(Self.date(reservation.windowStart))
                            """)
                        let completely = try room.first?.decode("full", as: Bool.self) ?? false
                        throw WindowFull(reservation: reservation, completely: completely)
                    }
                }
            }
            return .reserved(unenforced: [])
        } catch let full as WindowFull {
            if full.completely { exhausted.remember(full.reservation, now: now) }
            return .exhausted(full.reservation)
        } catch let skewed as ClockSkewed {
            logger.error("worker clock disagrees with the database's: counters unenforceable", metadata: [
                "clock.skew_s": "\(skewed.seconds)", "clock.max_skew_s": "\(maxClockSkew.components.seconds)"])
            return .storeUnreachable(reservations)
        } catch {
            logger.warning("counter store unreachable", metadata: ["db.error": "\(error)"])
            return .storeUnreachable(reservations)
        }
    }

    func release(_ reservations: [CounterReservation]) async {
        guard !reservations.isEmpty else { return }
        do {
            try await database.hotPathTransaction { tx in
                try await tx.execute("SET LOCAL synchronous_commit = off")
                for reservation in reservations.sorted(by: { $0.storageKey < $1.storageKey }) {
                    try await tx.execute("""
                        UPDATE counters SET count = greatest(count - \(reservation.amount)::numeric, 0)
                        WHERE account_id = \(reservation.accountID)::uuid AND scope_kind = \(reservation.scope.rawValue)
                          AND scope_id = \(reservation.scopeID) AND counter = \(reservation.counter)
                          AND window_kind = \(reservation.window.rawValue) AND window_start = \(Self.date(reservation.windowStart))
                        """)
                }
            }
        } catch {
            // The call already failed upstream; the counter keeps the slot until its window ends.
            logger.warning("counter release failed", metadata: ["db.error": "\(error)"])
        }
    }

    /// How far the database's clock is outside the interval in which the worker asked for it: the
    /// round trip is not skew, so a slow answer on a loaded machine does not count as one.
    static func skew(of databaseNow: Date, between asked: Date, and answered: Date) -> Double {
        if databaseNow < asked { return databaseNow.timeIntervalSince(asked) }
        if databaseNow > answered { return databaseNow.timeIntervalSince(answered) }
        return 0
    }

    private static func date(_ time: PolicyTime) -> Date {
        Date(timeIntervalSince1970: Double(time.millisecondsSince1970) / 1000)
    }
}
