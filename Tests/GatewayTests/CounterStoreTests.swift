import Foundation
import Logging
import Shared
import TestSupport
import Testing

@testable import Gateway
import JSON
import PolicyEngine

/// design.md §5.5: counters shared by every worker, all-or-nothing reservations, release on upstream
/// failure, `fail: closed|open`, and a memory store with the same semantics.
@Suite(.timeLimit(.minutes(2)))
struct CounterStoreTests {
    static let now = PolicyTime(millisecondsSince1970: 1_764_000_000_000)

    /// The counters the engine plans for `tool` under `policy` (a JSON document).
    static func plan(_ policy: String, tool: String, arguments: JSONValue = .null, account: UUID, at time: PolicyTime = now) throws -> [CounterReservation] {
        let compiled = try CompiledPolicy(json: Array(policy.utf8))
        let owner = CounterOwner(accountID: account.uuidString.lowercased(), grantID: "g1", identityID: "i1", serverID: "s1")
        switch compiled.decide(PolicyCall(tool: tool, arguments: arguments, owner: owner), now: time) {
        case .allow(let counters): return counters
        default: throw TestError("expected an allowed call with counters")
        }
    }

    static func account(_ db: Database) async throws -> UUID {
        try await db.query("INSERT INTO accounts (name, slug) VALUES ('Acme', \("acme-\(UInt32.random(in: 0...UInt32.max))")) RETURNING id")
            .first!.decode("id")
    }

    static let hundredPerMinute = #"{"version": "1", "default": "deny", "tools": {"stop-pod": {"limits": [{"counter": "stop-pod_rate", "window": "minute", "max": 100}]}}}"#

    static func reservedCount(_ outcomes: [CounterReservationOutcome]) -> Int {
        outcomes.filter { if case .reserved = $0 { return true } else { return false } }.count
    }

    @Test func twoWorkersSharingPostgresAllowExactlyTheMaximumOf400ConcurrentCalls() async throws {
        try await withTestDatabase(poolSize: 4) { db, conninfo in
            let account = try await Self.account(db)
            let plan = try Self.plan(Self.hundredPerMinute, tool: "stop-pod", account: account)
            let otherPool = Database(conninfo: conninfo, poolSize: 4, logger: Logger(label: "worker-2"))
            let workers = [PostgresCounterStore(database: db, logger: Logger(label: "worker-1")),
                           PostgresCounterStore(database: otherPool, logger: Logger(label: "worker-2"))]
            let outcomes = await withTaskGroup(of: CounterReservationOutcome.self) { group in
                for call in 0..<400 {
                    group.addTask { await workers[call % 2].reserve(plan, now: Self.now) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            // Spending reaches the database when the workers settle (about once a second).
            for worker in workers { await worker.settle() }
            await otherPool.close()
            #expect(Self.reservedCount(outcomes) == 100)
            let stored = try await db.query("SELECT count::bigint AS count FROM counters").first!.decode("count", as: Int.self)
            #expect(stored == 100)
        }
    }

    @Test func incrementFromSumsArgumentValuesAgainstTheQuota() async throws {
        try await withTestDatabase { db, _ in
            let account = try await Self.account(db)
            let policy = #"{"version": "1", "default": "deny", "tools": {"create-pod": {"limits": [{"counter": "gpus", "window": "day", "max": 8, "increment_from": "args.gpuCount"}]}}}"#
            let store = PostgresCounterStore(database: db, logger: Logger(label: "t"))
            var outcomes: [CounterReservationOutcome] = []
            for gpus in [3, 4, 2, 1] {
                let plan = try Self.plan(policy, tool: "create-pod", arguments: ["gpuCount": .number(JSONNumber(gpus))], account: account)
                outcomes.append(await store.reserve(plan, now: Self.now))
            }
            // 3 + 4 = 7; 7 + 2 = 9 > 8 is refused; 7 + 1 = 8 fits.
            #expect(Self.reservedCount(outcomes) == 3)
            guard case .exhausted = outcomes[2] else { Issue.record("the third call should be refused"); return }
        }
    }

    @Test func aFullCounterConsumesNoneOfTheCallsOtherCounters() async throws {
        try await withTestDatabase { db, _ in
            let account = try await Self.account(db)
            let policy = #"{"version": "1", "default": "deny", "all_tools": {"limits": [{"counter": "all", "window": "minute", "max": 10}]}, "tools": {"stop-pod": {"limits": [{"counter": "stops", "window": "minute", "max": 1}]}, "get-pod": {}}}"#
            let store = PostgresCounterStore(database: db, logger: Logger(label: "t"))
            let stop = try Self.plan(policy, tool: "stop-pod", account: account)
            #expect(await store.reserve(stop, now: Self.now) == .reserved(unenforced: []))
            guard case .exhausted(let full) = await store.reserve(stop, now: Self.now) else { Issue.record("second stop should be refused"); return }
            #expect(full.counter == "stops")
            await store.settle()
            // The refused call did not count against "all": 1 of 10 used.
            let all = try await db.query("SELECT count::bigint AS count FROM counters WHERE counter = 'all'").first!.decode("count", as: Int.self)
            #expect(all == 1)
        }
    }

    @Test func releaseGivesTheSlotBackAfterAnUpstreamFailure() async throws {
        try await withTestDatabase { db, _ in
            let account = try await Self.account(db)
            let policy = #"{"version": "1", "default": "deny", "tools": {"stop-pod": {"limits": [{"counter": "stops", "window": "minute", "max": 1}]}}}"#
            let store = PostgresCounterStore(database: db, logger: Logger(label: "t"))
            let plan = try Self.plan(policy, tool: "stop-pod", account: account)
            #expect(await store.reserve(plan, now: Self.now) == .reserved(unenforced: []))
            await store.release(plan)
            #expect(await store.reserve(plan, now: Self.now) == .reserved(unenforced: []))
        }
    }

    @Test func aWorkerRemembersAFullWindowAndDeniesWithoutTheDatabase() async throws {
        try await withTestDatabase { _, conninfo in
            let own = Database(conninfo: conninfo, poolSize: 1, logger: Logger(label: "t"))
            let account = try await Self.account(own)
            let policy = #"{"version": "1", "default": "deny", "tools": {"stop-pod": {"limits": [{"counter": "stops", "window": "minute", "max": 1}]}}}"#
            let store = PostgresCounterStore(database: own, logger: Logger(label: "t"))
            let plan = try Self.plan(policy, tool: "stop-pod", account: account)
            _ = await store.reserve(plan, now: Self.now)
            guard case .exhausted = await store.reserve(plan, now: Self.now) else { Issue.record("expected full"); return }
            await own.close()
            // The pool is closed: only the remembered window can answer.
            guard case .exhausted = await store.reserve(plan, now: Self.now) else { Issue.record("expected the remembered full window"); return }
            // The next window asks the database again, which is gone: fail closed.
            let nextMinute = PolicyTime(millisecondsSince1970: Self.now.millisecondsSince1970 + 60_000)
            let next = try Self.plan(policy, tool: "stop-pod", account: account, at: nextMinute)
            guard case .unavailable = await store.reserve(next, now: nextMinute) else { Issue.record("expected fail closed"); return }
        }
    }

    @Test func unreachableStoreDeniesClosedLimitsAndLetsOpenOnesThroughUnenforced() async throws {
        let db = Database(conninfo: "host=/nonexistent-dir port=1 connect_timeout=2", poolSize: 1, logger: Logger(label: "t"))
        let store = PostgresCounterStore(database: db, logger: Logger(label: "t"))
        let account = UUID()
        let closed = try Self.plan(Self.hundredPerMinute, tool: "stop-pod", account: account)
        guard case .unavailable(let limit) = await store.reserve(closed, now: Self.now) else { Issue.record("expected fail closed"); return }
        #expect(limit.storeUnavailableDenial().code == .rateLimited)
        let openPolicy = #"{"version": "1", "default": "deny", "tools": {"stop-pod": {"limits": [{"counter": "stops", "window": "minute", "max": 5, "fail": "open"}]}}}"#
        let open = try Self.plan(openPolicy, tool: "stop-pod", account: account)
        #expect(await store.reserve(open, now: Self.now) == .reserved(unenforced: open))
        await db.close()
    }

    @Test func memoryStoreHasTheSameSemanticsWithinOneProcess() async throws {
        let store = MemoryCounterStore()
        let account = UUID()
        let plan = try Self.plan(Self.hundredPerMinute, tool: "stop-pod", account: account)
        let outcomes = await withTaskGroup(of: CounterReservationOutcome.self) { group in
            for _ in 0..<400 { group.addTask { await store.reserve(plan, now: Self.now) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Self.reservedCount(outcomes) == 100)
        await store.release(plan)
        #expect(await store.reserve(plan, now: Self.now) == .reserved(unenforced: []))
        // A new window starts empty.
        let nextMinute = PolicyTime(millisecondsSince1970: Self.now.millisecondsSince1970 + 60_000)
        let next = try Self.plan(Self.hundredPerMinute, tool: "stop-pod", account: account, at: nextMinute)
        #expect(await store.reserve(next, now: nextMinute) == .reserved(unenforced: []))
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
