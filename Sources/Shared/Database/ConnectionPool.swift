import NIOConcurrencyHelpers
import NIOPosix

/// A fixed number of connections, each leased to one caller at a time. Callers beyond the pool
/// size wait in line (first come, first served); a cancelled waiter leaves the line, and so does
/// one still waiting after `leaseTimeout` (issue 10 item 21: when every connection hangs on an
/// unreachable server, callers get an error within seconds instead of queueing forever).
final class ConnectionPool: Sendable {
    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<PostgresConnection, any Error>
        let timer: Task<Void, Never>
    }

    private struct State {
        var idle: [PostgresConnection]
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var isClosed = false
    }

    /// Every blocking libpq call runs here: one thread per connection, so a leased connection
    /// never waits for a thread, and no event loop or cooperative thread ever blocks.
    let threadPool: NIOThreadPool
    let leaseTimeout: Duration
    /// Every connection of the pool opens through it: after a failed attempt, the next waits.
    let reconnectGate: ReconnectGate
    private let state: NIOLockedValueBox<State>

    init(conninfo: String, size: Int, leaseTimeout: Duration, reconnectBackoff: ReconnectBackoff) {
        precondition(size > 0, "a pool needs at least one connection")
        threadPool = NIOThreadPool(numberOfThreads: size)
        threadPool.start()
        self.leaseTimeout = leaseTimeout
        reconnectGate = ReconnectGate(backoff: reconnectBackoff)
        state = NIOLockedValueBox(State(idle: (0..<size).map { _ in PostgresConnection(conninfo: conninfo) }))
    }

    /// Runs `body` with a connection made ready (opened, or reopened if its backend died).
    func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await lease()
        defer { release(connection) }
        try await threadPool.runIfActive { [reconnectGate] in try connection.ensureReady(through: reconnectGate) }
        return try await body(connection)
    }

    private func lease() async throws -> PostgresConnection {
        enum Outcome { case leased(PostgresConnection), wait(Int), closed }
        let outcome: Outcome = state.withLockedValue { state in
            if state.isClosed { return .closed }
            if let connection = state.idle.popLast() { return .leased(connection) }
            state.nextWaiterID += 1
            return .wait(state.nextWaiterID)
        }
        switch outcome {
        case .leased(let connection): return connection
        case .closed: throw DatabaseError(.poolClosed, detail: "the database pool is shut down")
        case .wait(let id):
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let enqueued = state.withLockedValue { state -> Bool in
                        guard !state.isClosed, !Task.isCancelled else { return false }
                        // Started under the lock, so it cannot fire before the waiter is in line.
                        let timer = Task { [leaseTimeout] in
                            guard (try? await Task.sleep(for: leaseTimeout)) != nil else { return }
                            self.removeWaiter(id)?.continuation.resume(throwing: DatabaseError(
                                .poolTimeout, detail: "no database connection became free within \(leaseTimeout)"))
                        }
                        state.waiters.append(Waiter(id: id, continuation: continuation, timer: timer))
                        return true
                    }
                    if !enqueued { continuation.resume(throwing: CancellationError()) }
                }
            } onCancel: {
                removeWaiter(id)?.continuation.resume(throwing: CancellationError())
            }
        }
    }

    /// Takes waiter `id` out of the line (and stops its timer), if it is still waiting.
    private func removeWaiter(_ id: Int) -> Waiter? {
        let waiter = state.withLockedValue { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.timer.cancel()
        return waiter
    }

    private func release(_ connection: PostgresConnection) {
        let waiter: Waiter? = state.withLockedValue { state in
            if state.isClosed { return nil }
            if state.waiters.isEmpty {
                state.idle.append(connection)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.timer.cancel()
        waiter?.continuation.resume(returning: connection)
    }

    /// Fails every waiter, closes idle connections, and stops the threads once leased
    /// connections have come back (their last call finishes first).
    func close() async {
        let (waiters, idle) = state.withLockedValue { state in
            state.isClosed = true
            defer { state.waiters = []; state.idle = [] }
            return (state.waiters, state.idle)
        }
        for waiter in waiters {
            waiter.timer.cancel()
            waiter.continuation.resume(throwing: DatabaseError(.poolClosed, detail: "the database pool is shut down"))
        }
        _ = try? await threadPool.runIfActive { idle.forEach { $0.close() } }
        try? await threadPool.shutdownGracefully()
    }
}
