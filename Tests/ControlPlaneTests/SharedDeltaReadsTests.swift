import Foundation
import Shared
import Synchronization
import Testing

@testable import ControlPlane

/// Issue 11, propagation: the long-polls one commit wakes share one read of the delta, and a
/// request never gets an answer read before the change it knows about.
@Suite(.timeLimit(.minutes(1)))
struct SharedDeltaReadsTests {
    /// A read that counts its calls and holds each until `release()`.
    final class HeldReads: Sendable {
        let calls = Mutex(0)
        private let gate = AsyncStream<Void>.makeStream()

        func read(since: Int64) async throws -> SnapshotReader.DeltaAnswer {
            let call = calls.withLock { $0 += 1; return $0 }
            var iterator = gate.stream.makeAsyncIterator()
            _ = await iterator.next()
            return .delta(SnapshotDelta(since: since, version: since + Int64(call), upserts: SnapshotEntities(), deletes: []))
        }

        func release(_ count: Int) { for _ in 0..<count { gate.continuation.yield() } }

        func waitForCalls(_ count: Int) async throws {
            while calls.withLock({ $0 }) < count { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    @Test func longPollsWokenByOneCommitShareOneRead() async throws {
        let held = HeldReads()
        let reads = SharedDeltaReads(read: held.read(since:))
        try await withThrowingTaskGroup(of: SnapshotReader.DeltaAnswer.self) { group in
            group.addTask { try await reads.delta(since: 7, committed: 8) }
            try await held.waitForCalls(1)
            for _ in 0..<3 { group.addTask { try await reads.delta(since: 7, committed: 8) } }
            while reads.load.requests < 4 { try await Task.sleep(for: .milliseconds(5)) }
            held.release(1)
            var answers: [SnapshotReader.DeltaAnswer] = []
            for try await answer in group { answers.append(answer) }
            let expected = SnapshotReader.DeltaAnswer.delta(SnapshotDelta(since: 7, version: 8, upserts: SnapshotEntities(), deletes: []))
            #expect(answers == Array(repeating: expected, count: 4))
        }
        #expect(held.calls.withLock { $0 } == 1)
        #expect(reads.load.reads == 0)
        #expect(reads.load.requests == 0)
    }

    @Test func aRequestKnowingANewerCommitReadsAgain() async throws {
        let held = HeldReads()
        let reads = SharedDeltaReads(read: held.read(since:))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = try await reads.delta(since: 7, committed: 8) }
            try await held.waitForCalls(1)
            // Change 9 committed after the first read began: that read may not include it.
            group.addTask { _ = try await reads.delta(since: 7, committed: 9) }
            try await held.waitForCalls(2)
            held.release(2)
            try await group.waitForAll()
        }
        #expect(held.calls.withLock { $0 } == 2)
    }

    @Test func aFinishedReadIsNotReused() async throws {
        let held = HeldReads()
        let reads = SharedDeltaReads(read: held.read(since:))
        held.release(2)
        _ = try await reads.delta(since: 7, committed: 8)
        _ = try await reads.delta(since: 7, committed: 8)
        #expect(held.calls.withLock { $0 } == 2)
    }
}
