import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// Issue 11 item 3 end to end: a worker ships in batches and writes its shipped marker only about
/// once a second, so `kill -9` usually leaves stored events behind the marker. The restarted worker
/// reads them again; none may become a second row or link, and `GET /v1/audit/verify` must agree.
@Suite(.timeLimit(.minutes(3)))
struct AuditShippingEndToEndTests {
    @Test func aWorkerKilledWhileShippingIsRestartedWithoutDuplicateRowsAndTheChainVerifies() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(recordRequests: false))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: ["version": "1", "default": "allow"])
            let spool = GatewayHarness.temporaryFolder("spool")
            let worker = try await harness.startWorker(spool: spool)
            try await worker.waitForGrant(grant)

            func call(_ worker: GatewayWorker, ids: Range<Int>) async throws {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for client in 0..<4 {
                        group.addTask {
                            for id in ids where id % 4 == client {
                                let answer = try await worker.post(toolCall(id, "echo"), grant: grant)
                                #expect(answer.response(id: id)?["result"] != nil)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // Both rows of every call, the request and its response: the counts below must not race
            // a response row still on its way (it once landed between the count and the verify).
            func recordedCalls() async -> (requests: Int, responses: Int) {
                let row = try? await harness.database.query("""
                    SELECT count(DISTINCT jsonrpc_id) FILTER (WHERE kind = 'request') AS requests,
                           count(DISTINCT jsonrpc_id) FILTER (WHERE kind = 'response') AS responses
                    FROM audit_events WHERE grant_id = \(grant.id) AND method = 'tools/call'
                    """).first
                return ((try? row?.decode("requests", as: Int.self)) ?? 0, (try? row?.decode("responses", as: Int.self)) ?? 0)
            }

            try await call(worker, ids: 0..<100)
            #expect(try await eventually(within: .seconds(20)) { await recordedCalls() == (100, 100) })
            try await worker.kill()

            let restarted = try await harness.startWorker(spool: spool)
            defer { Task { try? await restarted.stop() } }
            try await restarted.waitForGrant(grant)
            try await call(restarted, ids: 100..<110)
            #expect(try await eventually(within: .seconds(20)) { await recordedCalls() == (110, 110) })

            let account = "(SELECT account_id FROM audit_events WHERE grant_id = $1 LIMIT 1)"
            let counts = try #require(try await harness.database.query(SQLQuery(unsafeSQL: """
                SELECT count(*) AS rows, count(DISTINCT id) AS ids, max(seq) AS last_seq FROM audit_events WHERE account_id = \(account)
                """, binds: [grant.id.postgresBind])).first)
            let rows = try counts.decode("rows", as: Int.self)
            #expect(try counts.decode("ids", as: Int.self) == rows)
            #expect(try counts.decode("last_seq", as: Int.self) == rows)
            let (status, verify) = try await harness.admin(.GET, "/v1/audit/verify")
            #expect(status == 200)
            #expect(verify["ok"] == true)
            #expect(verify["checked"] == .number(JSONNumber(rows)))
        }
    }
}
