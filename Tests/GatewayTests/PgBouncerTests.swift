import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// Issue 13 item 5: the control plane and a worker with their ordinary queries through PgBouncer
/// in transaction pooling (`deploy/pgbouncer/pgbouncer.ini`) and their LISTEN connections direct
/// (`--database-listen-url`), serving real traffic.
@Suite(.timeLimit(.minutes(3)))
struct PgBouncerTests {
    static func limitedEcho(max: Int) -> JSONValue {
        [
            "version": "1", "default": "deny",
            "tools": [
                "echo": ["limits": [["counter": "echoes", "window": "hour", "max": .number(JSONNumber(max))]]],
                "stop-pod": ["approval": ["hold": "30s", "timeout": "10m"]],
            ],
        ]
    }

    @Test func theControlPlaneAndAWorkerServeLimitsApprovalsAndAuditThroughPgBouncer() async throws {
        try await withTestDatabase(poolSize: 2) { database, direct in
            let bouncer = try await PgBouncer.start(serving: direct, users: ["postgres", "portcullis_worker"])
            defer { bouncer.stop() }
            let pooled = try bouncer.conninfo(for: direct)
            try await GatewayHarness.with(conninfo: pooled, database: database, controlPlaneArguments: ["--database-listen-url", direct]) { harness in
                let upstream = try await FakeMCPUpstream.start(.init())
                defer { Task { await upstream.stop() } }
                let server = try await harness.registerServer(url: upstream.url)
                let policy = try await harness.createPolicy(Self.limitedEcho(max: 5))
                let grant = try await harness.createGrant(serverID: server, policyID: policy)
                let worker = try await harness.startWorker(arguments: ["--database-listen-url", direct + " user=portcullis_worker"])
                defer { Task { try? await worker.stop() } }
                try await worker.waitForGrant(grant)

                // Counter leases and settlements through the pooler: exactly max.
                var allowed = 0
                for id in 1...8 where Self.allowed(try await worker.post(toolCall(id, "echo"), grant: grant), id: id) { allowed += 1 }
                #expect(allowed == 5)

                // An approval decided while the worker holds the call: the decision's NOTIFY goes
                // through the pooler, the worker hears it on its direct LISTEN connection.
                async let held = worker.post(toolCall(20, "stop-pod", ["pod_id": "p1"]), grant: grant, accept: "application/json")
                let approvalID = try await harness.pendingApproval()
                #expect(try await harness.admin(.POST, "/v1/approvals/\(approvalID)/approve", [:]).status == 200)
                #expect(Self.allowed(try await held, id: 20))

                // A policy change reaches the worker through the control plane's direct LISTEN
                // (through the pooler, the long-poll would wake only at its 30 s wait).
                try await harness.updatePolicy(policy, Self.limitedEcho(max: 7))
                var next = 30
                #expect(try await eventually(within: .seconds(10)) {
                    next += 1
                    return (try? await worker.post(toolCall(next, "echo"), grant: grant)).map { Self.allowed($0, id: next) } ?? false
                })

                // Audit events go in with COPY through the pooler, and the chain verifies.
                #expect(try await eventually(within: .seconds(20)) {
                    let rows = try? await harness.database.query("""
                        SELECT count(*)::int AS calls FROM audit_events WHERE grant_id = \(grant.id) AND kind = 'request' AND method = 'tools/call'
                        """)
                    return (try? rows?.first?.decode("calls", as: Int.self)) == 8 + 1 + (next - 30)
                })
                let (status, verify) = try await harness.admin(.GET, "/v1/audit/verify")
                #expect(status == 200)
                #expect(verify["ok"] == true)
                #expect(upstream.callCount(tool: "echo") == 6)
            }
        }
    }

    static func allowed(_ answer: GatewayWorker.Answer, id: Int) -> Bool {
        answer.response(id: id)?["result"]?["isError"] == false
    }
}
