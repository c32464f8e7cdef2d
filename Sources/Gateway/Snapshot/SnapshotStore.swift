import Foundation
import Shared
import Synchronization

/// The snapshot in force. Request handlers read the current reference; the snapshot client swaps
/// in a new one. The lock guards a pointer copy, so a reader never waits for a snapshot being
/// built: building happens before `swap(_:)`, outside the lock.
final class SnapshotStore: Sendable {
    private struct State {
        var snapshot: EnforcementSnapshot?
        /// When the control plane last confirmed the snapshot is current (a delta or a 204); the
        /// age metric counts from here, so a quiet configuration does not look stale.
        var confirmedAt: Date?
    }

    private let state = Mutex(State())
    /// Callers of `snapshot(atLeast:within:)`, each waiting for the version it holds.
    private let arrivals = WakeList<Int64>()

    init() {}

    /// The snapshot in force, or nil before the first one is loaded (the worker is not ready).
    var snapshot: EnforcementSnapshot? { state.withLock { $0.snapshot } }

    var confirmedAt: Date? { state.withLock { $0.confirmedAt } }

    /// Puts `snapshot` in force; `confirmedAt` is nil for one read from the snapshot file.
    func swap(_ snapshot: EnforcementSnapshot, confirmedAt: Date?) {
        state.withLock {
            $0.snapshot = snapshot
            $0.confirmedAt = confirmedAt ?? $0.confirmedAt
        }
        arrivals.wake { $0 <= snapshot.version }
    }

    /// The snapshot in force once it reaches `version`, or nil after `timeout`. It serves only the
    /// first call of a freshly authorized OAuth client, which may outrun its consent's change.
    func snapshot(atLeast version: Int64, within timeout: Duration) async -> EnforcementSnapshot? {
        let ticket = arrivals.register(version)
        if let snapshot, snapshot.version >= version {
            ticket.cancel()
            return snapshot
        }
        guard await ticket.wait(timeout: timeout), let snapshot, snapshot.version >= version else { return nil }
        return snapshot
    }

    func markConfirmed(at date: Date) {
        state.withLock { $0.confirmedAt = date }
    }
}
