import Foundation
import Logging
import PolicyEngine
import ServiceLifecycle
import Shared

/// Counters in PostgreSQL, shared by every worker, without a database round trip per call (issue
/// 11 item 1). The worker leases a block of units of a counter window (`CounterLeaseStatement`,
/// one statement) and spends it locally (`CounterLeases`); the database hands out at most `max`
/// units per window across all workers, so the total allowed never exceeds `max`. Blocks shrink
/// as the window's room does, down to the call's own amount near `max` (and for `increment_from`
/// amounts larger than the block held), where each call is one statement. A call's counters are
/// leased all or nothing. As a service, the store reports what it spent and gives back unspent
/// units of ended windows and idle blocks every `settleInterval`, and all of them on graceful
/// shutdown; a crashed worker's unspent units are lost until the window ends (under-admission,
/// never over-admission).
///
/// Windows are planned on the worker's clock, and every worker must count into the same window as
/// the others: each lease reads the database's clock, and a worker whose clock is more than
/// `maxClockSkew` away from it treats the store as unreachable (the limit's `fail` decides) and
/// gives the units back, so the windows of all counting workers agree to within that bound
/// (issue 10 item 16).
struct PostgresCounterStore: CounterStore, Service {
    let database: Database
    let exhausted = ExhaustedWindows()
    let leases = CounterLeases()
    let logger: Logger
    var maxClockSkew = Duration.seconds(2)
    /// The worker's clock, as the engine reads it to plan windows.
    var clock: @Sendable () -> Date = { Date() }
    /// The most units a lease adds beyond the call's need (the database gives an eighth of the room).
    var maxBlock = 256.0
    var settleInterval = Duration.seconds(1)
    /// A block unused this long goes back, so other workers can spend its units.
    var idleReturn = Duration.seconds(2)
    /// How long a window with no room left is remembered as full while units of it are leased to
    /// workers (they may come back); a window whose units are all spent is remembered to its end.
    var leasedFullMemory = Duration.seconds(1)

    private struct ClockSkewed: Error {
        let seconds: Double
    }

    func reserve(_ reservations: [CounterReservation], now: PolicyTime) async -> CounterReservationOutcome {
        if reservations.isEmpty { return .reserved(unenforced: []) }
        while true {
            if let full = exhausted.firstExhausted(in: reservations, now: now) { return .exhausted(full) }
            switch leases.take(reservations, now: now) {
            case .taken:
                return .reserved(unenforced: [])
            case .wait(let key):
                await leases.waitForRefill(of: key)
            case .refill(let shortfalls):
                if let refusal = await refill(shortfalls, for: reservations, now: now) { return refusal }
            }
        }
    }

    /// Leases what `shortfalls` lack in one statement: nil when granted (the call takes again),
    /// otherwise the call's outcome.
    private func refill(
        _ shortfalls: [CounterLeases.Shortfall], for reservations: [CounterReservation], now: PolicyTime
    ) async -> CounterReservationOutcome? {
        let statement = CounterLeaseStatement(items: shortfalls.map { .init(window: $0.window, need: $0.need, cap: maxBlock) })
        let answers: [CounterLeaseStatement.Answer]
        do {
            let asked = clock()
            let (answered, databaseNow) = try await statement.run(on: database)
            answers = answered
            let skew = databaseNow.map { Self.skew(of: $0, between: asked, and: clock()) } ?? 0
            guard abs(skew) <= Double(maxClockSkew.components.seconds) else {
                await giveBack(answers.map(\.granted), of: shortfalls)
                throw ClockSkewed(seconds: skew)
            }
        } catch let skewed as ClockSkewed {
            leases.refilled(shortfalls, granted: nil)
            logger.error("worker clock disagrees with the database's: counters unenforceable", metadata: [
                "clock.skew_s": "\(skewed.seconds)", "clock.max_skew_s": "\(maxClockSkew.components.seconds)"])
            return .storeUnreachable(reservations)
        } catch {
            leases.refilled(shortfalls, granted: nil)
            logger.warning("counter store unreachable", metadata: ["db.error": "\(error)"])
            return .storeUnreachable(reservations)
        }
        guard let refused = answers.firstIndex(where: \.refused) else {
            leases.refilled(shortfalls, granted: answers.map(\.granted))
            return nil
        }
        leases.refilled(shortfalls, granted: nil)
        let window = shortfalls[refused].window
        // With `increment_from` a large amount may not fit where a smaller one would: only a
        // window with no room at all, and no units left here, is remembered as full.
        if let room = answers[refused].room, room <= 0, leases.available(window) == 0 {
            let allSpent = (answers[refused].spent ?? 0) >= window.max
            let until = PolicyTime(millisecondsSince1970: now.millisecondsSince1970 + leasedFullMemory.wholeMilliseconds)
            exhausted.remember(window, now: now, until: allSpent ? nil : until)
        }
        return .exhausted(window)
    }

    /// Units leased to a worker that may not spend them (its clock is off) go straight back.
    private func giveBack(_ granted: [Double], of shortfalls: [CounterLeases.Shortfall]) async {
        let items = zip(shortfalls, granted).filter { $1 > 0 }.map { CounterLeaseStatement.Item(window: $0.window, returned: $1) }
        guard !items.isEmpty else { return }
        do {
            _ = try await CounterLeaseStatement(items: items).run(on: database)
        } catch {
            logger.warning("counter units could not be given back; lost until their window ends", metadata: ["db.error": "\(error)"])
        }
    }

    /// The units go back into this worker's blocks; a window already given back is released in
    /// the database, in one statement.
    func release(_ reservations: [CounterReservation]) async {
        let unheld = leases.putBack(reservations)
        guard !unheld.isEmpty else { return }
        do {
            _ = try await CounterLeaseStatement(items: unheld.map { .init(window: $0, spent: -$0.amount, returned: $0.amount) })
                .run(on: database)
        } catch {
            // The call already failed upstream; the counter keeps the slot until its window ends.
            logger.warning("counter release failed", metadata: ["db.error": "\(error)"])
        }
    }

    /// Reports what this worker spent and gives back the units of ended windows and idle blocks,
    /// or of every block (`everything`, on shutdown), in one statement.
    func settle(now: PolicyTime = .now, everything: Bool = false) async {
        let settlements = leases.settlements(now: now, idleAfter: idleReturn, everything: everything)
        guard !settlements.isEmpty else { return }
        let statement = CounterLeaseStatement(items: settlements.map { .init(window: $0.window, spent: $0.spent, returned: $0.returned) })
        do {
            _ = try await statement.run(on: database)
            leases.settled(settlements, succeeded: true)
        } catch {
            leases.settled(settlements, succeeded: false)
            logger.warning("counter settlement failed; retried at the next one", metadata: ["db.error": "\(error)"])
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: settleInterval)
                } catch {
                    return
                }
                await settle()
            }
        }
        await settle(everything: true)
    }

    /// How far the database's clock is outside the interval in which the worker asked for it: the
    /// round trip is not skew, so a slow answer on a loaded machine does not count as one.
    static func skew(of databaseNow: Date, between asked: Date, and answered: Date) -> Double {
        if databaseNow < asked { return databaseNow.timeIntervalSince(asked) }
        if databaseNow > answered { return databaseNow.timeIntervalSince(answered) }
        return 0
    }
}
