import Synchronization

/// Tasks that wait for something another task announces (issue 15 item 3: one primitive for the
/// approval decision watcher and the config change watcher), each waiting on a `Subject` (an
/// approval id, a change number), with a timeout and task cancellation.
///
/// A waiter registers *before* it checks whether it still needs to wait, then waits: an
/// announcement that lands between the check and the wait marks its ticket woken, so the wait
/// returns at once and nothing is missed.
public final class WakeList<Subject: Sendable>: Sendable {
    private struct Waiter {
        let subject: Subject
        var woken = false
        var continuation: CheckedContinuation<Void, Never>?
    }

    private struct State {
        var waiters: [Int: Waiter] = [:]
        var nextTicket = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// A registration: make it, check the condition, then `wait` or `cancel`.
    public struct Ticket: Sendable {
        fileprivate let number: Int
        fileprivate let list: WakeList

        /// True when woken (the condition may hold now), false after `timeout` or when the task is
        /// cancelled. Ends the registration.
        public func wait(timeout: Duration) async -> Bool {
            await list.wait(number, timeout: timeout)
        }

        /// Ends the registration without waiting.
        public func cancel() {
            list.remove(number)
        }
    }

    public func register(_ subject: Subject) -> Ticket {
        let number = state.withLock { state in
            state.nextTicket += 1
            state.waiters[state.nextTicket] = Waiter(subject: subject)
            return state.nextTicket
        }
        return Ticket(number: number, list: self)
    }

    /// Wakes every waiter whose subject `matches`.
    public func wake(where matches: (Subject) -> Bool) {
        let ready = state.withLock { state in
            var ready: [CheckedContinuation<Void, Never>] = []
            for (number, waiter) in state.waiters where matches(waiter.subject) {
                state.waiters[number]?.woken = true
                if let continuation = waiter.continuation {
                    ready.append(continuation)
                    state.waiters[number]?.continuation = nil
                }
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    private func wait(_ number: Int, timeout: Duration) async -> Bool {
        defer { remove(number) }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.suspend(number); return !Task.isCancelled }
            group.addTask { try? await Task.sleep(for: timeout); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func suspend(_ number: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    guard let waiter = state.waiters[number], !waiter.woken, !Task.isCancelled else { return true }
                    state.waiters[number]?.continuation = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiters[number]?.continuation = nil }
                return state.waiters[number]?.continuation
            }
            continuation?.resume()
        }
    }

    private func remove(_ number: Int) {
        let continuation = state.withLock { $0.waiters.removeValue(forKey: number)?.continuation }
        continuation?.resume()
    }
}
