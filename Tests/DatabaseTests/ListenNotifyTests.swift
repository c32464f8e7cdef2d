import Logging
import NIOConcurrencyHelpers
import Shared
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct ListenNotifyTests {
    @Test func notifySentByOneConnectionArrivesOnTheListenSequence() async throws {
        try await withTestDatabase { db, _ in
            var events = db.listen(to: ["snapshot_changes", "approval \"decided\""]).makeAsyncIterator()
            #expect(try await events.next() == .listening)
            try await db.notify(channel: "snapshot_changes", payload: "42")
            try await db.transaction { tx in
                try await tx.execute("SELECT pg_notify('approval \"decided\"', 'apr_1')")
            }
            guard case .notification(let first) = try await events.next(),
                  case .notification(let second) = try await events.next()
            else { Issue.record("expected two notifications"); return }
            #expect((first.channel, first.payload) == ("snapshot_changes", "42"))
            #expect((second.channel, second.payload) == ("approval \"decided\"", "apr_1"))
        }
    }

    @Test func listenerReconnectsAndListensAgainAfterItsConnectionIsKilled() async throws {
        try await withTestDatabase { db, _ in
            var events = db.listen(to: ["changes"]).makeAsyncIterator()
            #expect(try await events.next() == .listening)
            try await db.execute("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND query LIKE 'LISTEN%'
                """)
            // The listener notices, reconnects with backoff and says it listens again.
            #expect(try await events.next() == .listening)
            try await db.notify(channel: "changes", payload: "after reconnect")
            guard case .notification(let notification) = try await events.next() else {
                Issue.record("expected a notification after reconnecting"); return
            }
            #expect(notification.payload == "after reconnect")
        }
    }

    @Test func iterationEndsWhenTheConsumingTaskIsCancelled() async throws {
        try await withTestDatabase { db, _ in
            let listener = db.listen(to: ["quiet"])
            let seen = NIOLockedValueBox(0)
            let consumer = Task {
                var count = 0
                for try await _ in listener {
                    count += 1
                    seen.withLockedValue { $0 = count }
                }
                return count
            }
            // Cancel once `.listening` has arrived (a fixed sleep raced it on a loaded machine).
            let deadline = ContinuousClock.now + .seconds(10)
            while seen.withLockedValue({ $0 }) == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(100))
            consumer.cancel()
            #expect(try await consumer.value == 1)  // only `.listening`
        }
    }
}
