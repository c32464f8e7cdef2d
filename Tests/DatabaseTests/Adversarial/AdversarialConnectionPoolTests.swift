import Logging
import NIOConcurrencyHelpers
import Shared
import TestSupport
import Testing

/// Issue 10 item 21: when every pooled connection is busy (hung on an unreachable server, say), a
/// caller gets an error after the pool's lease timeout instead of queueing forever.
@Suite(.timeLimit(.minutes(1)))
struct AdversarialConnectionPoolTests {
    @Test func aCallerWaitingOnABusyPoolGetsPoolTimeoutAndThePoolStaysUsable() async throws {
        try await withTestDatabase(poolSize: 1) { _, conninfo in
            let db = Database(conninfo: conninfo, poolSize: 1, leaseTimeout: .milliseconds(300), logger: Logger(label: "t"))
            let holding = NIOLockedValueBox(false)
            let (release, releaser) = AsyncStream<Void>.makeStream()
            async let holder: Void = db.withSession { _ in
                holding.withLockedValue { $0 = true }
                for await _ in release { break }
            }
            while !holding.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            let error = await #expect(throws: DatabaseError.self) { try await db.query("SELECT 1") }
            #expect(error?.code == .poolTimeout)
            releaser.yield()
            try await holder
            #expect(try await db.query("SELECT 7 AS n").first?.decode("n", as: Int.self) == 7)
            await db.close()
        }
    }
}
