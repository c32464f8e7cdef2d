import Logging
import Shared
import ServiceLifecycle
import Synchronization

/// Knows the newest committed change number and wakes long-polls when it moves. One LISTEN
/// connection per control-plane replica, fed by the `pg_notify` every configuration write sends,
/// so a commit made through any replica wakes the long-polls of all of them.
final class ConfigChangeWatcher: Service, Sendable {
    private let database: Database
    private let logger: Logger
    private let newest = Mutex<Int64>(0)
    /// Long-polls, each waiting for a change after the number it holds.
    private let polls = WakeList<Int64>()

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
    var latest: Int64 { newest.withLock { $0 } }

    private func advance(to version: Int64) {
        let advanced = newest.withLock { newest in
            guard version > newest else { return false }
            newest = version
            return true
        }
        if advanced { polls.wake { $0 < version } }
    }

    /// Returns when a change after `version` is known, or when `timeout` passes (false).
    func waitForChange(after version: Int64, timeout: Duration) async -> Bool {
        let ticket = polls.register(version)
        if latest > version {
            ticket.cancel()
            return true
        }
        return await ticket.wait(timeout: timeout)
    }
}
