import NIOConcurrencyHelpers

/// One read of a delta for every long-poll that asks for it at the same time (issue 11,
/// propagation). A commit wakes the long-poll of every worker at once, all asking for the changes
/// since the same version; each used to read them in a transaction of its own, so with 4 workers on
/// 2 cores the last answer queued behind three identical reads. Now the first request reads and the
/// others wait for its answer.
///
/// A read is joined only when it started once the joiner's change was known to be committed
/// (`basis`, the newest change the watcher had seen when the read started), so a joiner never
/// gets an answer older than the change that woke it.
final class SharedDeltaReads: Sendable {
    private struct Read {
        let id: Int
        let basis: Int64
        let answer: Task<SnapshotReader.DeltaAnswer, any Error>
    }

    private struct State {
        var reads: [Int64: Read] = [:]
        var nextID = 0
        var waiting = 0
    }

    /// Reads the changes after a version: `SnapshotReader.delta(since:)`.
    private let read: @Sendable (_ since: Int64) async throws -> SnapshotReader.DeltaAnswer
    private let state = NIOLockedValueBox(State())

    init(read: @escaping @Sendable (_ since: Int64) async throws -> SnapshotReader.DeltaAnswer) {
        self.read = read
    }

    /// The changes after `since`, as of a moment after `committed` (a change known committed).
    func delta(since: Int64, committed: Int64) async throws -> SnapshotReader.DeltaAnswer {
        let (read, isOwn) = state.withLockedValue { state -> (Read, Bool) in
            state.waiting += 1
            if let read = state.reads[since], read.basis >= committed { return (read, false) }
            state.nextID += 1
            // Unstructured on purpose: it belongs to every request that joins it, not to the first
            // one, whose cancellation must not fail the others.
            let read = Read(id: state.nextID, basis: committed, answer: Task { [reader = self.read] in try await reader(since) })
            state.reads[since] = read
            return (read, true)
        }
        let answer = await read.answer.result
        state.withLockedValue { state in
            state.waiting -= 1
            if isOwn, state.reads[since]?.id == read.id { state.reads[since] = nil }
        }
        return try answer.get()
    }

    /// Reads in flight and the requests waiting for them; both 0 once every request has its answer.
    var load: (reads: Int, requests: Int) { state.withLockedValue { ($0.reads.count, $0.waiting) } }
}
