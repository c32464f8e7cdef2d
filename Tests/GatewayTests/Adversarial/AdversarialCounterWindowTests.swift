import Foundation
import Logging
import Shared
import TestSupport
import Testing

@testable import Gateway
import PolicyEngine

/// Issue 10 item 16: every worker counts into the same windows, and what a worker remembers about
/// full windows stays bounded by the windows still live.
@Suite(.timeLimit(.minutes(1)))
struct AdversarialCounterWindowTests {
    static let closedPolicy = #"{"version": "1", "default": "deny", "tools": {"stop-pod": {"limits": [{"counter": "stops", "window": "minute", "max": 10}]}}}"#

    @Test func aWorkerWhoseClockIsAnHourOffCannotCountIntoWindowsOfItsOwn() async throws {
        try await withTestDatabase { db, _ in
            let account = try await CounterStoreTests.account(db)
            let plan = try CounterStoreTests.plan(Self.closedPolicy, tool: "stop-pod", account: account)
            var skewed = PostgresCounterStore(database: db, logger: Logger(label: "skewed"))
            skewed.clock = { Date().addingTimeInterval(-3600) }
            #expect(await skewed.reserve(plan, now: CounterStoreTests.now) == .unavailable(plan[0]))
            let onTime = PostgresCounterStore(database: db, logger: Logger(label: "on-time"))
            #expect(await onTime.reserve(plan, now: CounterStoreTests.now) == .reserved(unenforced: []))
            await onTime.settle(now: CounterStoreTests.now)
            #expect(try await db.query("SELECT count::int AS n FROM counters").first?.decode("n", as: Int.self) == 1)
        }
    }

    @Test func aSlowDatabaseAnswerIsNotTakenForClockSkew() {
        let asked = Date(timeIntervalSince1970: 1_000)
        let answered = asked.addingTimeInterval(5)
        // Read by the database anywhere within a 5 s round trip: no skew at all.
        #expect(PostgresCounterStore.skew(of: asked.addingTimeInterval(4), between: asked, and: answered) == 0)
        #expect(PostgresCounterStore.skew(of: answered.addingTimeInterval(3), between: asked, and: answered) == 3)
        #expect(PostgresCounterStore.skew(of: asked.addingTimeInterval(-3), between: asked, and: answered) == -3)
    }

    @Test func exhaustedWindowsThatEndedArePrunedAsNewOnesAreRemembered() throws {
        let exhausted = ExhaustedWindows()
        let minute: Int64 = 60_000
        for index in 0..<500 {
            let time = PolicyTime(millisecondsSince1970: CounterStoreTests.now.millisecondsSince1970 + Int64(index) * minute)
            let plan = try CounterStoreTests.plan(Self.closedPolicy, tool: "stop-pod", account: UUID(), at: time)
            exhausted.remember(plan[0], now: time)
        }
        // Every minute window but the last has ended; at most the last one or two remain.
        #expect(exhausted.count <= 2)
    }
}
