import Foundation
import Logging
import Shared
import TestSupport
import Testing

@testable import Gateway

/// design.md §5.6 step 3: the worker holding a call learns of the decision through PostgreSQL.
@Suite(.timeLimit(.minutes(1)))
struct ApprovalDecisionWatcherTests {
    /// Runs a watcher on `db` and waits until it listens (a notification for a probe id arrives).
    static func withWatcher(_ db: Database, _ body: (ApprovalDecisionWatcher) async throws -> Void) async throws {
        let watcher = ApprovalDecisionWatcher(database: db)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watcher.run() }
            let probe = UUID()
            var listening = false
            for _ in 0..<50 where !listening {
                let ticket = watcher.register(for: probe)
                try await db.notify(channel: ApprovalDecisionWatcher.channel, payload: probe.uuidString)
                listening = await ticket.wait(timeout: .milliseconds(100))
            }
            #expect(listening)
            try await body(watcher)
            group.cancelAll()
        }
    }

    @Test func aDecisionNotifiedThroughAnotherConnectionWakesTheHolder() async throws {
        try await withTestDatabase { db, conninfo in
            try await Self.withWatcher(db) { watcher in
                let approval = UUID()
                let ticket = watcher.register(for: approval)
                let controlPlane = Database(conninfo: conninfo, poolSize: 1, logger: Logger(label: "control-plane"))
                try await controlPlane.transaction { tx in
                    try await tx.execute("SELECT pg_notify(\(ApprovalDecisionWatcher.channel), \(approval.uuidString.lowercased()))")
                }
                await controlPlane.close()
                #expect(await ticket.wait(timeout: .seconds(10)))
            }
        }
    }

    @Test func otherApprovalsDoNotWakeTheHolderAndItTimesOut() async throws {
        try await withTestDatabase { db, _ in
            try await Self.withWatcher(db) { watcher in
                let ticket = watcher.register(for: UUID())
                try await db.notify(channel: ApprovalDecisionWatcher.channel, payload: UUID().uuidString)
                #expect(await ticket.wait(timeout: .milliseconds(300)) == false)
            }
        }
    }

    @Test func aDecisionBetweenRegisteringAndWaitingIsNotMissed() async throws {
        try await withTestDatabase { db, _ in
            try await Self.withWatcher(db) { watcher in
                let approval = UUID()
                let ticket = watcher.register(for: approval)
                try await db.notify(channel: ApprovalDecisionWatcher.channel, payload: approval.uuidString)
                try await Task.sleep(for: .milliseconds(200))  // the notification lands before the wait
                #expect(await ticket.wait(timeout: .seconds(5)))
            }
        }
    }
}
