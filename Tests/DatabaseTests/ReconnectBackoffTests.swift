import Foundation
import Logging
import TestSupport
import Testing
@testable import Shared

/// After a lost connection the pool waits between attempts to reconnect, growing pauses with
/// jitter up to a cap, instead of trying again on every query.
@Suite(.timeLimit(.minutes(2)))
struct ReconnectBackoffTests {
    /// A seeded generator (SplitMix64), so the jitter is the same on every run.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func pausesDoubleWithJitterUpToTheCapAndStartOverAfterASuccess() {
        var backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(2))
        var random = SeededRandom(state: 42)
        var delays: [Int64] = []
        for failure in 1...8 {
            let step: Int64 = min(2000, 100 << Int64(failure - 1))
            let delay = backoff.nextDelay(using: &random).wholeMilliseconds
            #expect(delay >= step / 2 && delay <= step, "failure \(failure): \(delay) ms")
            delays.append(delay)
        }
        // Jitter: the capped pauses are not all the same.
        #expect(Set(delays.suffix(4)).count > 1)
        backoff.reset()
        let afterReset = backoff.nextDelay(using: &random).wholeMilliseconds
        #expect(afterReset >= 50 && afterReset <= 100)
    }

    @Test func whilePostgreSQLIsStoppedQueriesFailWithoutAnAttemptEachAndThePoolReconnectsOnceItIsBack() async throws {
        let server = try await StandalonePostgres.start()
        defer { server.destroy() }
        let database = Database(conninfo: server.conninfo, poolSize: 2,
                                reconnectBackoff: ReconnectBackoff(initial: .seconds(2), maximum: .seconds(4)), logger: Logger(label: "test"))
        #expect(try await database.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)

        try server.stop()
        let attemptsBefore = database.connectionAttempts
        let calls = 50
        var failures = 0
        for _ in 0..<calls {
            do { try await database.query("SELECT 1") } catch let error as DatabaseError {
                #expect(error.code == .connectionFailed || error.code == .connectionLost)
                failures += 1
            }
        }
        #expect(failures == calls)
        // A tight loop would have tried to connect once per query.
        let attemptsWhileStopped = database.connectionAttempts - attemptsBefore
        #expect(attemptsWhileStopped >= 1)
        #expect(attemptsWhileStopped < calls)

        try server.start()
        // Back within the pause after the last attempt (at most 4 s); the time limit bounds the wait.
        while (try? await database.query("SELECT 1")) == nil { try await Task.sleep(for: .milliseconds(100)) }
        #expect(try await database.query("SELECT 2 AS two").first?.decode("two", as: Int.self) == 2)
        await database.close()
    }
}
