import Foundation
import Logging
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// Issue 10 item 16: counter rows do not pile up (every session and grant leaves some behind), and
/// `GET /v1/usage` pages like every list, so neither grows without bound.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialCounterRetentionTests {
    @Test func endedCounterWindowsAreSweptInBatchesWhileCurrentAndJustEndedOnesStay() async throws {
        try await withTestDatabase { db, _ in
            let account: UUID = try await db.query(
                "INSERT INTO accounts (name, slug) VALUES ('Acme', \("acme-\(UInt32.random(in: 0...UInt32.max))")) RETURNING id"
            ).first!.decode("id")
            // 2,500 session windows that ended an hour ago, one that ended 10 s ago (within the
            // grace), one current.
            try await db.execute("""
                INSERT INTO counters (account_id, scope_kind, scope_id, counter, window_kind, window_start, window_end, count)
                SELECT \(account), 'session', 'session:' || n, 'calls', 'minute', now() - interval '61 minutes', now() - interval '60 minutes', 1
                FROM generate_series(1, 2500) n
                """)
            try await db.execute("""
                INSERT INTO counters (account_id, scope_kind, scope_id, counter, window_kind, window_start, window_end, count)
                VALUES (\(account), 'grant', 'just-ended', 'calls', 'minute', now() - interval '70 seconds', now() - interval '10 seconds', 1),
                       (\(account), 'grant', 'current', 'calls', 'hour', now() - interval '1 minute', now() + interval '59 minutes', 1)
                """)
            let sweeper = CounterSweeper(database: db, batchSize: 1000, logger: Logger(label: "t"))
            #expect(await sweeper.sweep() == 2500)
            let left = try await db.query("SELECT scope_id FROM counters ORDER BY scope_id").map { try $0.decode("scope_id", as: String.self) }
            #expect(left == ["current", "just-ended"])
        }
    }

    @Test func usagePagesWithLimitAndCursorAndEveryCounterAppearsOnce() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let fixtures = Fixtures(database: database)
            let server = try await fixtures.server(of: admin)
            let grant = try #require(try await api.createGrant(server: server, by: admin)["id"]?.stringValue)
            let names = (1...7).map { "counter-\($0)" }
            for name in names { try await fixtures.counter(name, grant: grant, of: admin, count: 1) }
            try await fixtures.counter("hourly", grant: grant, of: admin, count: 2, window: "hour")

            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await api.send(.get, "/v1/usage?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""), key: admin.key)
                #expect(page.status == .ok)
                let items = try #require(page["items"]?.arrayValue)
                #expect(items.count <= 3)
                seen += items.compactMap { $0["counter"]?.stringValue }
                cursor = page["next_cursor"]?.stringValue
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen.sorted() == (names + ["hourly"]).sorted())
            #expect(seen.first == "hourly", "the longest window comes first")
            #expect(try await api.send(.get, "/v1/usage?limit=0", key: admin.key).status == .badRequest)
            #expect(try await api.send(.get, "/v1/usage?cursor=nonsense", key: admin.key).status == .badRequest)
        }
    }
}
