import Logging
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import Shared
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct ConnectionPoolTests {
    @Test func twoHundredConcurrentQueriesThroughFourConnectionsAllCompleteWhileTheEventLoopKeepsTicking() async throws {
        try await withTestDatabase(poolSize: 4) { db, _ in
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let ticks = TickRecorder()
            let timer = loop.scheduleRepeatedTask(initialDelay: .milliseconds(5), delay: .milliseconds(5)) { _ in
                ticks.record(NIODeadline.now())
            }
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        // Each query holds its connection for 20 ms; a blocked loop would stall the timer as long.
                        let row = try await db.query("SELECT \(index)::int AS n, pg_sleep(0.02)").first
                        return try row!.decode("n", as: Int.self)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            timer.cancel()
            #expect(results.sorted() == Array(0..<200))
            // 200 queries of 20 ms over 4 connections take about a second; the timer fired throughout.
            // The gap bound is loose on purpose: the whole test suite runs in parallel on two cores
            // (306 ms was seen), while queries run on the loop would stall it for the whole second.
            #expect(ticks.count > 20)
            #expect(ticks.longestGap < .milliseconds(900))
            let connections = try await db.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()")
            #expect(try connections.first!.decode("n", as: Int.self) <= 4)
        }
    }

    @Test func connectionKilledByTheServerIsReplacedAndTheNextQuerySucceeds() async throws {
        try await withTestDatabase(poolSize: 1) { db, conninfo in
            let firstPID = try await db.withSession { $0.backendPID }
            let killer = Database(conninfo: conninfo, poolSize: 1, logger: Logger(label: "killer"))
            let killed = try await killer.query("SELECT pg_terminate_backend(\(Int(firstPID))::int) AS ok")
            #expect(try killed.first!.decode("ok", as: Bool.self))
            await killer.close()
            // Give the server a moment to close the socket the pool still holds.
            try await Task.sleep(for: .milliseconds(100))
            let row = try #require(try await db.query("SELECT pg_backend_pid() AS pid").first)
            let secondPID = try row.decode("pid", as: Int32.self)
            #expect(secondPID != firstPID)
        }
    }

    @Test func queryOnAConnectionThatDiesMidStatementReportsConnectionLost() async throws {
        try await withTestDatabase(poolSize: 1) { db, conninfo in
            let pid = try await db.withSession { $0.backendPID }
            let killer = Database(conninfo: conninfo, poolSize: 1, logger: Logger(label: "killer"))
            async let slow: DatabaseError? = {
                do { try await db.execute("SELECT pg_sleep(5)"); return nil } catch let error as DatabaseError { return error }
            }()
            try await Task.sleep(for: .milliseconds(300))
            try await killer.execute("SELECT pg_terminate_backend(\(Int(pid))::int)")
            await killer.close()
            let error = try await slow
            #expect(error?.isConnectionProblem == true)
            #expect(try await db.query("SELECT 1 AS one").count == 1)
        }
    }

    @Test func closedDatabaseRefusesNewWorkClearly() async throws {
        try await withTestDatabase(poolSize: 1) { db, conninfo in
            let separate = Database(conninfo: conninfo, poolSize: 1, logger: Logger(label: "separate"))
            try await separate.execute("SELECT 1")
            await separate.close()
            let error = await #expect(throws: DatabaseError.self) { try await separate.execute("SELECT 1") }
            #expect(error?.code == .poolClosed)
        }
    }

    @Test func unreachableServerIsAConnectionFailure() async throws {
        let db = Database(conninfo: "host=/nonexistent-socket-dir port=1 connect_timeout=2", poolSize: 1, logger: Logger(label: "t"))
        let error = await #expect(throws: DatabaseError.self) { try await db.execute("SELECT 1") }
        #expect(error?.code == .connectionFailed)
        await db.close()
    }
}

/// Times at which the event-loop timer fired.
final class TickRecorder: Sendable {
    private let times = NIOLockedValueBox<[NIODeadline]>([])
    func record(_ time: NIODeadline) { times.withLockedValue { $0.append(time) } }
    var count: Int { times.withLockedValue { $0.count } }
    var longestGap: TimeAmount {
        times.withLockedValue { times in
            zip(times, times.dropFirst()).map { $1 - $0 }.max() ?? .zero
        }
    }
}
