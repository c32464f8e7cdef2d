import Foundation
import Logging
import Shared
import TestSupport
import Testing

@testable import Gateway
import PolicyEngine

/// Issue 10 item 21: a PostgreSQL that stops answering costs a call seconds, and the limit's
/// `fail` setting decides, instead of hanging the call (and the pool) forever.
@Suite(.timeLimit(.minutes(1)))
struct AdversarialDatabaseOutageTests {
    static func policy(fail: String) -> String {
        #"{"version": "1", "default": "deny", "tools": {"stop-pod": {"limits": [{"counter": "stops", "window": "minute", "max": 10, "fail": "\#(fail)"}]}}}"#
    }

    /// A reservation against a database reachable at `conninfo`, with the operator's conninfo as given.
    static func reserve(policy: String, conninfo: String) async throws -> (CounterReservationOutcome, [CounterReservation]) {
        let plan = try CounterStoreTests.plan(policy, tool: "stop-pod", account: UUID())
        let database = Database(conninfo: conninfo, poolSize: 1, logger: Logger(label: "blackholed"))
        // Two calls at once on one connection: the second waits for the lease behind the first.
        let store = PostgresCounterStore(database: database, logger: Logger(label: "blackholed"))
        async let first = store.reserve(plan, now: CounterStoreTests.now)
        async let second = store.reserve(plan, now: CounterStoreTests.now)
        let outcomes = await [first, second]
        await database.close()
        #expect(outcomes[0] == outcomes[1])
        return (outcomes[0], plan)
    }

    @Test func aBlackholedDatabaseDeniesFailClosedLimitsAsStoreUnavailable() async throws {
        let hole = try BlackholeListener()
        defer { hole.close() }
        let (outcome, plan) = try await Self.reserve(
            policy: Self.policy(fail: "closed"), conninfo: "host=127.0.0.1 port=\(hole.port) dbname=portcullis user=portcullis")
        #expect(outcome == .unavailable(plan[0]))
        #expect(plan[0].storeUnavailableDenial().code == .rateLimited)
    }

    @Test func aBlackholedDatabaseGivenAsURLLetsFailOpenLimitsThroughUnenforced() async throws {
        let hole = try BlackholeListener()
        defer { hole.close() }
        let (outcome, plan) = try await Self.reserve(
            policy: Self.policy(fail: "open"), conninfo: "postgresql://portcullis@127.0.0.1:\(hole.port)/portcullis")
        #expect(outcome == .reserved(unenforced: plan))
    }

    @Test func aCounterRowLockedElsewhereYieldsTheFailBehaviourInsteadOfWaiting() async throws {
        try await withTestDatabase { db, conninfo in
            let account = try await CounterStoreTests.account(db)
            let plan = try CounterStoreTests.plan(Self.policy(fail: "closed"), tool: "stop-pod", account: account)
            var store = PostgresCounterStore(database: db, logger: Logger(label: "t"))
            // Leases of the call's unit alone, so the next call goes to the database (issue 11 item 1).
            store.maxBlock = 0
            #expect(await store.reserve(plan, now: CounterStoreTests.now) == .reserved(unenforced: []))
            // Another session holds the row (a stuck transaction, a lock-heavy query).
            let other = Database(conninfo: conninfo, poolSize: 1, logger: Logger(label: "locker"))
            let outcome = try await other.transaction { tx in
                try await tx.execute("SELECT * FROM counters FOR UPDATE")
                return await store.reserve(plan, now: CounterStoreTests.now)
            }
            await other.close()
            #expect(outcome == .unavailable(plan[0]))
        }
    }

    @Test func aServerThatStopsAnsweringMidSessionYieldsTheFailBehaviourInsteadOfHanging() async throws {
        try await withTestDatabase { db, conninfo in
            let account = try await CounterStoreTests.account(db)
            let plan = try CounterStoreTests.plan(Self.policy(fail: "closed"), tool: "stop-pod", account: account)
            // The test cluster's conninfo is key='value' pairs naming its Unix socket folder.
            let settings = Dictionary(conninfo.split(separator: " ").compactMap { pair -> (String, String)? in
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "'")) }
                return parts.count == 2 ? (parts[0], parts[1]) : nil
            }, uniquingKeysWith: { $1 })
            let proxy = try FreezableProxy(socketPath: "\(settings["host"]!)/.s.PGSQL.\(settings["port"] ?? "5432")")
            defer { proxy.stop() }
            let proxied = Database(
                conninfo: "host=127.0.0.1 port=\(proxy.port) user=\(settings["user"]!) dbname=\(settings["dbname"]!) sslmode=disable",
                poolSize: 1, logger: Logger(label: "proxied"))
            var store = PostgresCounterStore(database: proxied, logger: Logger(label: "proxied"))
            // Leases of the call's unit alone, so the next call goes to the database (issue 11 item 1).
            store.maxBlock = 0
            #expect(await store.reserve(plan, now: CounterStoreTests.now) == .reserved(unenforced: []))
            proxy.freeze()
            #expect(await store.reserve(plan, now: CounterStoreTests.now) == .unavailable(plan[0]))
            await proxied.close()
        }
    }
}
