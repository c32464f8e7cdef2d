import Foundation
import Hummingbird
import Shared
import Testing

@testable import ControlPlane
import JSON

@Suite(.timeLimit(.minutes(2)))
struct AuditLogTests {
    @Test func eventsAreListedNewestFirstAndFiltered() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let fixtures = Fixtures(database: database)
            let server = try await fixtures.server(of: admin)
            let grant = UUID().uuidString.lowercased()
            let identity = UUID().uuidString.lowercased()
            try await fixtures.ship([
                .call("list-pods", decision: "allow", of: admin, grant: grant, identity: identity, server: server, secondsAgo: 300),
                .call("stop-pod", decision: "deny", of: admin, server: server, secondsAgo: 200),
                .call("list-pods", decision: "deny", of: admin, grant: grant, secondsAgo: 100),
            ])
            let all = try await api.send(.get, "/v1/audit", key: admin.key)
            let items = try #require(all["items"]?.arrayValue)
            #expect(items.map { $0["tool"] } == ["list-pods", "stop-pod", "list-pods"])
            #expect(items.map { $0["seq"] } == [3, 2, 1])
            let first = try #require(items.last)
            #expect(first["decision"] == "allow")
            #expect(first["identity_label"] == "alice-laptop")
            #expect(first["method"] == "tools/call")
            #expect(first["upstream_status"] == 200)
            #expect(first["latency_ms"] == .number(JSONNumber(3.141)))
            #expect(first["argument_keys"] == ["gpuCount", "name"])

            func tools(_ query: String) async throws -> [JSONValue?] {
                try await api.send(.get, "/v1/audit?\(query)", key: admin.key)["items"]?.arrayValue?.map { $0["seq"] } ?? []
            }
            #expect(try await tools("grant=\(grant)") == [3, 1])
            #expect(try await tools("identity=\(identity)") == [1])
            #expect(try await tools("server=\(server)") == [2, 1])
            #expect(try await tools("tool=stop-pod") == [2])
            #expect(try await tools("decision=deny") == [3, 2])
            #expect(try await tools("code=default_deny") == [3, 2])
            #expect(try await tools("code=rate_limited").isEmpty)
            let middle = Date().addingTimeInterval(-250).formatted(.iso8601)
            let late = Date().addingTimeInterval(-150).formatted(.iso8601)
            #expect(try await tools("since=\(middle)&until=\(late)") == [2])
            #expect(try await tools("decision=deny&limit=1").count == 1)
            let page = try await api.send(.get, "/v1/audit?limit=2", key: admin.key)
            let cursor = try #require(page["next_cursor"]?.stringValue)
            #expect(try await tools("limit=2&cursor=\(cursor)") == [1])

            #expect(try await api.send(.get, "/v1/audit?decision=maybe", key: admin.key).status == .badRequest)
            #expect(try await api.send(.get, "/v1/audit?since=yesterday", key: admin.key).status == .badRequest)
            #expect(try await api.send(.get, "/v1/audit?grant=7", key: admin.key).status == .badRequest)

            let viewer = try await api.addMember("viewer", by: admin)
            #expect(try await api.send(.get, "/v1/audit", key: viewer.key)["items"]?.arrayValue?.count == 3)
            let stranger = try await api.signup("Stranger")
            #expect(try await api.send(.get, "/v1/audit", key: stranger.key)["items"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func summaryCountsRequestsPerDecisionAndCodeInEqualSlices() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            var response = AuditEvent.call("list-pods", decision: "allow", of: admin, server: server, secondsAgo: 3000)
            response.kind = "response"
            try await Fixtures(database: database).ship([
                .call("list-pods", decision: "allow", of: admin, server: server, secondsAgo: 3500),
                .call("list-pods", decision: "allow", of: admin, server: server, secondsAgo: 3000),
                response,
                .call("stop-pod", decision: "deny", of: admin, server: server, secondsAgo: 1000),
                .call("stop-pod", decision: "allow", of: admin, secondsAgo: 1000),
                .call("stop-pod", decision: "allow", of: admin, server: server, secondsAgo: 5000),
            ])
            let until = Date()
            let since = until.addingTimeInterval(-3600)
            let range = "since=\(since.formatted(.iso8601))&until=\(until.formatted(.iso8601))"
            let summary = try await api.send(.get, "/v1/audit/summary?\(range)&buckets=4&server=\(server)", key: admin.key)
            #expect(summary.status == .ok)
            #expect(summary["bucket_seconds"]?.numberValue?.doubleValue == 900)
            let buckets = try #require(summary["buckets"]?.arrayValue)
            #expect(buckets.count == 4)
            // Only `request` rows of the filter's server inside the range count.
            #expect(buckets[0]["counts"] == [["decision": "allow", "code": nil, "events": 2]])
            #expect(buckets[1]["counts"] == [])
            #expect(buckets[2]["counts"] == [["decision": "deny", "code": "default_deny", "events": 1]])
            #expect(buckets[3]["counts"] == [])

            let everything = try await api.send(.get, "/v1/audit/summary?\(range)&buckets=1", key: admin.key)
            #expect(everything["buckets"]?.arrayValue?.first?["counts"] == [
                ["decision": "allow", "code": nil, "events": 3], ["decision": "deny", "code": "default_deny", "events": 1]])
            #expect(try await api.send(.get, "/v1/audit/summary", key: admin.key)["buckets"]?.arrayValue?.count == 24)
            #expect(try await api.send(.get, "/v1/audit/summary?buckets=0", key: admin.key).status == .badRequest)
            #expect(try await api.send(.get, "/v1/audit/summary?buckets=201", key: admin.key).status == .badRequest)
            let backwards = "since=\(until.formatted(.iso8601))&until=\(since.formatted(.iso8601))"
            #expect(try await api.send(.get, "/v1/audit/summary?\(backwards)", key: admin.key).status == .badRequest)
            let stranger = try await api.signup("Stranger")
            let theirs = try await api.send(.get, "/v1/audit/summary?\(range)&buckets=1", key: stranger.key)
            #expect(theirs["buckets"]?.arrayValue?.first?["counts"] == [])
        }
    }

    @Test func exportStreamsEveryMatchingEventAsNDJSONOldestFirst() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            // More events than one export batch, so the stream spans several transactions.
            let events = (0..<620).map { AuditEvent.call($0 % 2 == 0 ? "list-pods" : "stop-pod", decision: "allow", of: admin, secondsAgo: Int64(1000 - $0)) }
            try await Fixtures(database: database).ship(events)
            let response = try await api.client.execute(uri: "/v1/audit/export?tool=stop-pod", method: .get, headers: [.authorization: "Bearer \(admin.key)"])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/x-ndjson")
            let lines = String(buffer: response.body).split(separator: "\n")
            #expect(lines.count == 310)
            let seqs = try lines.map { try JSONValue.parse(Array($0.utf8))["seq"]?.numberValue?.int64Value ?? 0 }
            #expect(seqs == Array(stride(from: 2, through: 620, by: 2)))
            #expect(try await api.send(.get, "/v1/audit/export", key: nil).status == .unauthorized)
        }
    }

    @Test func verifyWalksAnIntactChain() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let other = try await api.signup("Other")
            #expect(try await api.send(.get, "/v1/audit/verify", key: admin.key).json == ["ok": true, "checked": 0])
            let fixtures = Fixtures(database: database)
            try await fixtures.ship((0..<7).map { AuditEvent.call("list-pods", decision: "allow", of: admin, secondsAgo: Int64(100 - $0)) })
            try await fixtures.ship([.call("list-pods", decision: "deny", of: other)])
            try await fixtures.ship((0..<3).map { AuditEvent.call("stop-pod", decision: "deny", of: admin, secondsAgo: Int64(50 - $0)) })
            #expect(try await api.send(.get, "/v1/audit/verify", key: admin.key).json == ["ok": true, "checked": 10])
            #expect(try await api.send(.get, "/v1/audit/verify", key: other.key).json == ["ok": true, "checked": 1])
        }
    }

    @Test func verifyReportsTheFirstTamperedEvent() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let events = (0..<6).map { AuditEvent.call("stop-pod", decision: "deny", of: admin, secondsAgo: Int64(100 - $0)) }
            try await Fixtures(database: database).ship(events, tamper: { $0.decision = "allow" }, tamperSeq: 4)
            let report = try await api.send(.get, "/v1/audit/verify", key: admin.key)
            #expect(report["ok"] == false)
            #expect(report["checked"] == 3)
            #expect(report["first_broken"]?["seq"] == 4)
            #expect(report["first_broken"]?["reason"] == "hash_mismatch")
            #expect(report["first_broken"]?["id"] == .uuid(events[3].id))
        }
    }

    @Test func verifyNoticesEventsMissingFromTheEnd() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            try await Fixtures(database: database).ship([.call("stop-pod", decision: "deny", of: admin)])
            try await database.execute("UPDATE audit_chain_heads SET last_seq = 2 WHERE account_id = \(UUID(uuidString: admin.accountID)!)")
            let report = try await api.send(.get, "/v1/audit/verify", key: admin.key)
            #expect(report["ok"] == false)
            #expect(report["first_broken"]?["reason"] == "missing_tail")
            #expect(report["first_broken"]?["expected_seq"] == 2)
        }
    }

    @Test func usageShowsCurrentWindowsPerGrantAndCounter() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let fixtures = Fixtures(database: database)
            let server = try await fixtures.server(of: admin)
            let first = try #require(try await api.createGrant(server: server, by: admin)["id"]?.stringValue)
            let second = try #require(try await api.createGrant(server: server, by: admin, label: "ci-runner")["id"]?.stringValue)
            try await fixtures.counter("stop-pod_rate", grant: first, of: admin, count: 4)
            try await fixtures.counter("all-calls", grant: first, of: admin, count: 9, window: "hour")
            try await fixtures.counter("stop-pod_rate", grant: second, of: admin, count: 1)
            try await database.execute("""
                INSERT INTO counters (account_id, scope_kind, scope_id, counter, window_kind, window_start, window_end, count)
                VALUES (\(UUID(uuidString: admin.accountID)!), 'grant', \(first), 'stop-pod_rate', 'minute',
                        now() - interval '2 hours', now() - interval '2 hours' + interval '1 minute', 99)
                """)
            let usage = try await api.send(.get, "/v1/usage", key: admin.key)
            #expect(usage["items"]?.arrayValue?.count == 3, "the expired window is not usage")
            let mine = try #require(try await api.send(.get, "/v1/usage?grant=\(first)", key: admin.key)["items"]?.arrayValue)
            #expect(mine.map { $0["counter"] } == ["all-calls", "stop-pod_rate"])
            #expect(mine.map { $0["count"] } == [9, 4])
            #expect(mine.first?["grant_id"] == .string(first))
            #expect(mine.first?["window"] == "hour")
            #expect(try await api.send(.get, "/v1/usage?grant=x", key: admin.key).status == .badRequest)
            let stranger = try await api.signup("Stranger")
            #expect(try await api.send(.get, "/v1/usage", key: stranger.key)["items"]?.arrayValue?.isEmpty == true)
        }
    }
}
