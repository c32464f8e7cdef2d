import Foundation
import Metrics
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle

/// Where large upstream answers are parsed, filtered and re-serialized, and large request bodies
/// parsed (issue 10 item 26): on threads of their own at a lower CPU priority, not on the threads
/// every account's calls share (the event loops, one per core). A 6 MiB `tools/list` answer takes a
/// core for tens of milliseconds; on a shared thread, another account's calls waited behind it.
///
/// Fairness: an account has at most one answer in work at a time, and accounts with answers waiting
/// take turns (round robin). One account's stream of huge answers therefore holds at most one
/// thread, and delays another account's answer by at most one answer per thread.
final class AnswerRewritePool: Service, Sendable {
    /// Answers up to this size are rewritten where they were read: a thread hop costs more than the work.
    static let defaultInlineBytes = 64 << 10
    /// The nice value of the pool's threads: the lowest priority, so they run on what the calls of
    /// every account leave of the CPU (a nice-0 thread that wakes up preempts them at once).
    static let defaultNiceness: Int32 = 19

    /// A unit of work and the continuation it resumes; `false` when the pool is shut down.
    private typealias Job = @Sendable (_ runs: Bool) -> Void

    private struct State {
        /// Jobs waiting, per account, oldest first.
        var waiting: [UUID?: [Job]] = [:]
        /// Accounts with a job running now.
        var running: Set<UUID?> = []
        /// Accounts with a job waiting and none running, in the order they get a thread. There is
        /// one item submitted to `threads` per entry.
        var turns: [UUID?] = []
        var waitingCount = 0
    }

    let inlineBytes: Int
    private let niceness: Int32
    private let threads: NIOThreadPool
    private let state = NIOLockedValueBox(State())
    private let waitingGauge = Gauge(label: "portcullis_answer_rewrites_waiting")

    /// Answers waiting for a thread, as `portcullis_answer_rewrites_waiting` shows them.
    var waitingCount: Int { state.withLockedValue { $0.waitingCount } }

    init(threads count: Int, niceness: Int32 = AnswerRewritePool.defaultNiceness, inlineBytes: Int = AnswerRewritePool.defaultInlineBytes) {
        precondition(count > 0, "a rewrite pool needs at least one thread")
        threads = NIOThreadPool(numberOfThreads: count)
        threads.start()
        self.niceness = niceness
        self.inlineBytes = inlineBytes
    }

    /// Runs `work` on the pool in `account`'s turn; answers of no known account (`nil`) share one turn.
    func run<T: Sendable>(for account: UUID?, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(account) { runs in
                continuation.resume(with: runs ? Result { try work() } : .failure(CancellationError()))
            }
        }
    }

    /// Runs `work` on the pool in `account`'s turn when it handles more than the inline size of
    /// bytes (`size`), and where it is called otherwise.
    func run<T: Sendable>(size: Int, for account: UUID?, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard size > inlineBytes else { return try work() }
        return try await run(for: account, work)
    }

    /// The pool's threads stop once the worker shuts down (after the HTTP server, which the
    /// application stops first); work still waiting then fails.
    func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    func shutdown() async throws {
        try await threads.shutdownGracefully()
    }

    private func enqueue(_ account: UUID?, _ job: @escaping Job) {
        let startsTurn = state.withLockedValue { state in
            state.waiting[account, default: []].append(job)
            state.waitingCount += 1
            waitingGauge.record(state.waitingCount)
            guard !state.running.contains(account), state.waiting[account]?.count == 1 else { return false }
            state.turns.append(account)
            return true
        }
        if startsTurn { threads.submit { self.runTurn($0) } }
    }

    /// Runs the oldest job of the account whose turn it is; the account queues again behind the
    /// others if it has more.
    private func runTurn(_ item: NIOThreadPool.WorkItemState) {
        let (account, job) = state.withLockedValue { state -> (UUID?, Job) in
            let account = state.turns.removeFirst()
            let job = state.waiting[account]!.removeFirst()
            if state.waiting[account]!.isEmpty { state.waiting[account] = nil }
            state.running.insert(account)
            state.waitingCount -= 1
            waitingGauge.record(state.waitingCount)
            return (account, job)
        }
        guard case .active = item else {
            job(false)
            finishTurn(of: account)
            return
        }
        lowerPriority()
        job(true)
        finishTurn(of: account)
    }

    private func finishTurn(of account: UUID?) {
        let startsTurn = state.withLockedValue { state in
            state.running.remove(account)
            guard state.waiting[account] != nil else { return false }
            state.turns.append(account)
            return true
        }
        if startsTurn { threads.submit { self.runTurn($0) } }
    }

    /// On Linux the nice value belongs to a thread, and `setpriority(PRIO_PROCESS, 0, …)` sets the
    /// calling thread's alone (setpriority(2), NOTES): the pool's threads are its own, so lowering
    /// them touches nothing else. Idempotent and cheap, so done per job.
    private func lowerPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        #endif
    }
}
