import NIOConcurrencyHelpers

/// When the pool may try to open a connection. Once an attempt fails (the server stopped, a
/// failover in progress, `max_connections` reached), the next waits for `ReconnectBackoff`'s pause:
/// until then a caller needing a new connection fails at once with `connectionFailed`, as it
/// would after trying, and after it one caller tries while the others still fail at once. Without
/// it every query of every worker tried to connect again the moment the last attempt failed, a
/// tight loop of connection attempts against a server that is starting up or overloaded.
/// Connections that are open keep working meanwhile; only opening a new one waits.
final class ReconnectGate: Sendable {
    private struct State {
        var backoff: ReconnectBackoff
        /// Set after a failure: no attempt before it.
        var retryAt: ContinuousClock.Instant?
        /// An attempt after the pause is under way: the others wait for its outcome.
        var probing = false
        var attempts = 0
    }

    private let state: NIOLockedValueBox<State>

    init(backoff: ReconnectBackoff) {
        state = NIOLockedValueBox(State(backoff: backoff))
    }

    /// Connection attempts made so far, successful or not.
    var attempts: Int { state.withLockedValue { $0.attempts } }

    /// Runs `open` unless the pool is pausing after a failure, and records how it went.
    func attempt(_ open: () throws -> Void) throws {
        let isProbe = try state.withLockedValue { state -> Bool in
            var isProbe = false
            if let retryAt = state.retryAt {
                let wait = retryAt - .now
                guard !state.probing, wait <= .zero else {
                    throw DatabaseError(.connectionFailed, detail: state.probing
                        ? "PostgreSQL was unreachable; another connection attempt is under way"
                        : "PostgreSQL was unreachable; the next connection attempt is in \(wait.wholeMilliseconds) ms")
                }
                state.probing = true
                isProbe = true
            }
            state.attempts += 1
            return isProbe
        }
        do {
            try open()
        } catch {
            state.withLockedValue { state in
                // Attempts that were already under way when another failed do not lengthen the pause.
                if isProbe || state.retryAt == nil { state.retryAt = .now + state.backoff.nextDelay() }
                if isProbe { state.probing = false }
            }
            throw error
        }
        state.withLockedValue { state in
            state.backoff.reset()
            state.retryAt = nil
            state.probing = false
        }
    }
}
