import Foundation
import Logging
import NIOConcurrencyHelpers
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

    private struct Holder {
        let approval: UUID
        var woken = false
        var continuation: CheckedContinuation<Void, Never>?
    }

    /// Nil for a watcher told of decisions by its owner through `decided(_:)` (the in-memory
    /// approval ledger of the judge's tests).
    private let database: Database?
    private let holders = NIOLockedValueBox<[Int: Holder]>([:])
    private let nextTicket = NIOLockedValueBox(0)

    init(database: Database?) {
        self.database = database
    }

    func run() async throws {
        guard let database else { return try await gracefulShutdown() }
        try await cancelWhenGracefulShutdown {
            for try await event in database.listen(to: [Self.channel]) {
                switch event {
                case .listening: self.wake { _ in true }
                case .notification(let notification):
                    guard let id = UUID(uuidString: notification.payload) else { continue }
                    self.decided(id)
                }
            }
        }
    }

    /// Wakes the holders of `approval`: a human decided it.
    func decided(_ approval: UUID) {
        wake { $0 == approval }
    }

    /// A registration: create it, read the approval's status, then `wait` if still undecided.
    struct Ticket: Sendable {
        fileprivate let number: Int
        fileprivate let watcher: ApprovalDecisionWatcher

        /// Returns true when woken (the status may have changed), false after `timeout`.
        func wait(timeout: Duration) async -> Bool {
            await watcher.wait(number, timeout: timeout)
        }

        func cancel() {
            watcher.remove(number)
        }
    }

    func register(for approval: UUID) -> Ticket {
        let number = nextTicket.withLockedValue { next in
            next += 1
            return next
        }
        holders.withLockedValue { $0[number] = Holder(approval: approval) }
        return Ticket(number: number, watcher: self)
    }

    private func wake(where matches: (UUID) -> Bool) {
        let continuations: [CheckedContinuation<Void, Never>] = holders.withLockedValue { holders in
            var ready: [CheckedContinuation<Void, Never>] = []
            for (number, holder) in holders where matches(holder.approval) {
                holders[number]?.woken = true
                if let continuation = holder.continuation {
                    ready.append(continuation)
                    holders[number]?.continuation = nil
                }
            }
            return ready
        }
        continuations.forEach { $0.resume() }
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
                let resumeNow = holders.withLockedValue { holders -> Bool in
                    guard let holder = holders[number], !holder.woken, !Task.isCancelled else { return true }
                    holders[number]?.continuation = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = holders.withLockedValue { holders -> CheckedContinuation<Void, Never>? in
                defer { holders[number]?.continuation = nil }
                return holders[number]?.continuation
            }
            continuation?.resume()
        }
    }

    fileprivate func remove(_ number: Int) {
        let continuation = holders.withLockedValue { $0.removeValue(forKey: number)?.continuation }
        continuation?.resume()
    }
}
