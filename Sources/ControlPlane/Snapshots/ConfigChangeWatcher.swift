import Logging
import NIOConcurrencyHelpers
import Shared
import ServiceLifecycle

/// Knows the newest committed change number and wakes long-polls when it moves. One LISTEN
/// connection per control-plane replica, fed by the `pg_notify` every configuration write sends,
/// so a commit made through any replica wakes the long-polls of all of them.
final class ConfigChangeWatcher: Service, Sendable {
    private struct Waiter {
        let after: Int64
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var latest: Int64 = 0
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
    }

    private let database: Database
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            for try await event in self.database.listen(to: [ConfigChangeLog.channel]) {
                switch event {
                case .listening:
                    // Notifications sent while not listening are lost: re-read the number.
                    if let version = try? await self.database.withSession({ try await SnapshotReader.currentVersion($0) }) {
                        self.advance(to: version)
                    }
                case .notification(let notification):
                    if let version = Int64(notification.payload) { self.advance(to: version) }
                }
            }
        }
    }

    /// The newest change known to be committed (0 before the first is known).
    var latest: Int64 { state.withLockedValue { $0.latest } }

    private func advance(to version: Int64) {
        let woken: [Waiter] = state.withLockedValue { state in
            guard version > state.latest else { return [] }
            state.latest = version
            let ready = state.waiters.filter { $0.value.after < version }
            for id in ready.keys { state.waiters[id] = nil }
            return Array(ready.values)
        }
        woken.forEach { $0.continuation.resume() }
    }

    /// Returns when a change after `version` is known, or when `timeout` passes (false).
    func waitForChange(after version: Int64, timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.wait(after: version); return !Task.isCancelled }
            group.addTask { try? await Task.sleep(for: timeout); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func wait(after version: Int64) async {
        let id = state.withLockedValue { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.latest > version || Task.isCancelled { return true }
                    state.waiters[id] = Waiter(after: version, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
    }
}
