import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import Gateway

/// Issue 10 item 26: large answers are rewritten (and large request bodies parsed) off the threads
/// every account's calls share, at a low priority, one per account at a time, accounts taking turns.
@Suite(.timeLimit(.minutes(1)))
struct AnswerRewritePoolTests {
    /// A job that holds its pool thread until `release()`, and says when it started.
    final class HeldJob: Sendable {
        private let gate = DispatchSemaphore(value: 0)
        private let (startedStream, startedContinuation) = AsyncStream<Void>.makeStream()

        func run() {
            startedContinuation.yield()
            gate.wait()
        }

        func started() async {
            var iterator = startedStream.makeAsyncIterator()
            _ = await iterator.next()
        }

        func release() { gate.signal() }
    }

    /// Waits until `count` answers wait for a thread (the pool's `waitingCount`).
    static func waitUntil(_ pool: AnswerRewritePool, holds count: Int) async throws {
        while pool.waitingCount < count { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test func anotherAccountsAnswerGoesBeforeTheQueuedAnswersOfABusyAccount() async throws {
        let pool = AnswerRewritePool(threads: 1)
        defer { Task { try? await pool.shutdown() } }
        let (busy, other) = (UUID(), UUID())
        let held = HeldJob()
        let order = NIOLockedValueBox<[String]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run(for: busy) { held.run(); order.withLockedValue { $0.append("busy 1") } } }
            await held.started()
            for index in 2...3 {
                group.addTask { try await pool.run(for: busy) { order.withLockedValue { $0.append("busy \(index)") } } }
                try await Self.waitUntil(pool, holds: index - 1)
            }
            group.addTask { try await pool.run(for: other) { order.withLockedValue { $0.append("other") } } }
            try await Self.waitUntil(pool, holds: 3)
            held.release()
            try await group.waitForAll()
        }
        #expect(order.withLockedValue { $0 } == ["busy 1", "other", "busy 2", "busy 3"])
    }

    @Test func anAccountHasOneAnswerInWorkWhileAnotherThreadIsFree() async throws {
        let pool = AnswerRewritePool(threads: 2)
        defer { Task { try? await pool.shutdown() } }
        let (busy, other) = (UUID(), UUID())
        let held = HeldJob()
        let secondStarted = NIOLockedValueBox(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run(for: busy) { held.run() } }
            await held.started()
            group.addTask { try await pool.run(for: busy) { secondStarted.withLockedValue { $0 = true } } }
            try await Self.waitUntil(pool, holds: 1)
            // The second thread is free: another account's answer runs on it at once...
            try await pool.run(for: other) {}
            // ...but not the busy account's second answer, which waits for its first.
            #expect(secondStarted.withLockedValue { $0 } == false)
            #expect(pool.waitingCount == 1)
            held.release()
            try await group.waitForAll()
        }
        #expect(secondStarted.withLockedValue { $0 })
    }

    @Test func answersAreRewrittenAtTheLowestPriorityWithoutLoweringTheCaller() async throws {
        let pool = AnswerRewritePool(threads: 1)
        defer { Task { try? await pool.shutdown() } }
        let before = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let onPool = try await pool.run(for: UUID()) { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
        #expect(onPool == AnswerRewritePool.defaultNiceness)
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == before)
    }

    /// Large request bodies and answers go to the pool, smaller ones are handled where they arrived
    /// (a thread hop costs more than their parse).
    @Test func workOverTheInlineSizeRunsOnThePoolAndSmallerWorkWhereItIsAsked() async throws {
        let pool = AnswerRewritePool(threads: 1, inlineBytes: 16)
        defer { Task { try? await pool.shutdown() } }
        let caller = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let small = try await pool.run(size: 16, for: UUID()) { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
        let large = try await pool.run(size: 17, for: UUID()) { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
        #expect(small == caller)
        #expect(large == AnswerRewritePool.defaultNiceness)
    }

    @Test func workAfterThePoolShutDownFailsInsteadOfHanging() async throws {
        let pool = AnswerRewritePool(threads: 1)
        try await pool.shutdown()
        await #expect(throws: CancellationError.self) { try await pool.run(for: UUID()) { 1 } }
    }
}
