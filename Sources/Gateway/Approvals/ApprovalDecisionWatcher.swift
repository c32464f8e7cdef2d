import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Tells a worker holding a call that its approval was decided (design.md §5.6 step 3): one LISTEN
/// connection per worker on the channel the control plane notifies with the approval id, so the
/// worker that holds the call learns of a decision made through any control-plane replica.
///
/// A holder registers before it reads the approval's status, then waits: a decision that lands
/// between the read and the wait still wakes it. After a reconnect every holder is woken to
/// re-read, since notifications sent while disconnected are lost.
final class ApprovalDecisionWatcher: Service, Sendable {
    static let channel = "portcullis_approvals"

    /// Nil for a watcher told of decisions by its owner through `decided(_:)` (the in-memory
    /// approval ledger of the judge's tests).
    private let database: Database?
    private let holders = WakeList<UUID>()

    init(database: Database?) {
        self.database = database
    }

    func run() async throws {
        guard let database else { return try await gracefulShutdown() }
        try await cancelWhenGracefulShutdown {
            for try await event in database.listen(to: [Self.channel]) {
                switch event {
                case .listening: self.holders.wake { _ in true }
                case .notification(let notification):
                    guard let id = UUID(uuidString: notification.payload) else { continue }
                    self.decided(id)
                }
            }
        }
    }

    /// Wakes the holders of `approval`: a human decided it.
    func decided(_ approval: UUID) {
        holders.wake { $0 == approval }
    }

    /// A registration: create it, read the approval's status, then `wait` (true when woken: the
    /// status may have changed; false after the timeout) if still undecided, or `cancel`.
    func register(for approval: UUID) -> WakeList<UUID>.Ticket {
        holders.register(approval)
    }
}
