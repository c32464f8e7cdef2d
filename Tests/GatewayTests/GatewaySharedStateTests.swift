import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// What workers share through PostgreSQL (design.md §5.5, §5.6): counters exact across workers, and
/// approvals decided while another worker holds the call.
@Suite(.timeLimit(.minutes(3)))
struct GatewaySharedStateTests {
    @Test func twoWorkersShareCountersExactlyUnderConcurrentLoad() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(recordRequests: false))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: [
                "version": "1", "default": "deny",
                "tools": [
                    "echo": ["limits": [["counter": "echoes", "window": "hour", "max": 100]]],
                    "stop-pod": ["limits": [["counter": "gpu_hours", "window": "hour", "max": 10, "increment_from": "args.hours"]]],
                ],
            ])
            let workers = [try await harness.startWorker(), try await harness.startWorker()]
            defer { for worker in workers { Task { try? await worker.stop() } } }
            for worker in workers { try await worker.waitForGrant(grant) }

            let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<400 {
                    group.addTask {
                        let answer = try await workers[index % 2].post(toolCall(index, "echo"), grant: grant)
                        return answer.response(id: index)?["result"]?["isError"] == false
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(allowed == 100)
            #expect(upstream.callCount(tool: "echo") == 100)

            // increment_from sums the argument across workers: 4 + 4 fit in 10, a further 4 does not, 2 does.
            let amounts = [4, 4, 4, 2]
            var outcomes: [Bool] = []
            for (index, hours) in amounts.enumerated() {
                let answer = try await workers[index % 2].post(toolCall(500 + index, "stop-pod", ["hours": .number(JSONNumber(hours))]), grant: grant)
                outcomes.append(answer.response(id: 500 + index)?["result"]?["isError"] == false)
            }
            #expect(outcomes == [true, true, false, true])
        }
    }

    static func approvalPolicy(hold: String) -> JSONValue {
        ["version": "1", "default": "deny", "tools": ["stop-pod": ["approval": ["hold": .string(hold), "timeout": "10m"]]]]
    }

    @Test func anApprovalDecidedWhileAnotherWorkerHoldsTheCallReleasesItOnce() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.approvalPolicy(hold: "20s"))
            let holder = try await harness.startWorker()
            defer { Task { try? await holder.stop() } }
            try await holder.waitForGrant(grant)

            // Held on SSE: keep-alives and progress flow, then the upstream's answer after approval.
            async let held = holder.post(
                ["jsonrpc": "2.0", "id": 1, "method": "tools/call",
                 "params": ["name": "stop-pod", "arguments": ["pod_id": "p1"], "_meta": ["progressToken": "tok-1"]]],
                grant: grant, accept: "application/json, text/event-stream")
            let approvalID = try await harness.pendingApproval()
            try await Task.sleep(for: .milliseconds(1500))  // at least one keep-alive while held
            #expect(try await harness.admin(.POST, "/v1/approvals/\(approvalID)/approve", [:]).status == 200)
            let answer = try await held
            #expect(answer.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
            #expect(answer.text.contains(": keep-alive"))
            #expect(answer.messages.contains { $0["method"] == "notifications/progress" && $0["params"]?["progressToken"] == "tok-1" })
            #expect(answer.response(id: 1)?["result"]?["isError"] == false)
            #expect(upstream.callCount(tool: "stop-pod") == 1)

            // Denied while held (JSON client): approval_denied with the reason.
            async let denied = holder.post(toolCall(2, "stop-pod", ["pod_id": "p2"]), grant: grant, accept: "application/json")
            let secondID = try await harness.pendingApproval()
            #expect(try await harness.admin(.POST, "/v1/approvals/\(secondID)/deny", ["reason": "not today"]).status == 200)
            let deniedAnswer = try await denied
            #expect(deniedAnswer.response(id: 2)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "approval_denied")
            #expect(deniedAnswer.text.contains("not today"))
            #expect(upstream.callCount(tool: "stop-pod") == 1)
        }
    }

    @Test func aHoldThatElapsesIsPendingThenTheIdenticalRetryGoesThroughExactlyOnce() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.approvalPolicy(hold: "2s"))
            let workers = [try await harness.startWorker(), try await harness.startWorker()]
            defer { for worker in workers { Task { try? await worker.stop() } } }
            for worker in workers { try await worker.waitForGrant(grant) }

            let first = try await workers[0].post(toolCall(1, "stop-pod", ["pod_id": "p9"]), grant: grant, accept: "application/json")
            #expect(first.response(id: 1)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "approval_pending")
            let approvalID = try await harness.pendingApproval()
            #expect(first.text.contains("Approval \(approvalID) is pending"))
            #expect(try await harness.admin(.POST, "/v1/approvals/\(approvalID)/approve", [:]).status == 200)

            // The identical call, on the other worker, goes through once; a second needs a new approval.
            let retry = try await workers[1].post(toolCall(2, "stop-pod", ["pod_id": "p9"]), grant: grant, accept: "application/json")
            #expect(retry.response(id: 2)?["result"]?["isError"] == false)
            #expect(upstream.callCount(tool: "stop-pod") == 1)
            let again = try await workers[0].post(toolCall(3, "stop-pod", ["pod_id": "p9"]), grant: grant, accept: "application/json")
            #expect(again.response(id: 3)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "approval_pending")
            #expect(upstream.callCount(tool: "stop-pod") == 1)
            let (status, approval) = try await harness.admin(.GET, "/v1/approvals/\(approvalID)")
            #expect(status == 200)
            #expect(approval["status"] == "consumed")
        }
    }

    /// Issue 13 item 5: the holder re-reads the status every keep-alive (1 s here); a read that
    /// fails while PostgreSQL is away used to end the hold at once with `approval_pending`.
    @Test func aHeldCallOutlivesADatabaseOutageAndIsReleasedWhenApprovedAfterIt() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.approvalPolicy(hold: "30s"))
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            async let held = worker.post(toolCall(1, "stop-pod", ["pod_id": "p1"]), grant: grant, accept: "application/json")
            let approvalID = try await harness.pendingApproval()
            try await DatabaseOutage.begin(conninfo: harness.conninfo)
            try await Task.sleep(for: .milliseconds(2500))  // two re-reads fail meanwhile
            try await DatabaseOutage.end(conninfo: harness.conninfo)
            #expect(try await eventually(within: .seconds(20)) {
                (try? await harness.admin(.POST, "/v1/approvals/\(approvalID)/approve", [:]).status) == 200
            })
            let answer = try await held
            #expect(answer.response(id: 1)?["result"]?["isError"] == false)
            #expect(upstream.callCount(tool: "stop-pod") == 1)
        }
    }

    @Test func anApprovalThatExpiresWhileHeldAndARiskClassDenialReachTheAgent() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            // `stop-pod` is execute / high in the catalog; `echo` has an entry whose approval lapses.
            let grant = try await harness.grant(on: upstream, policy: [
                "version": "1", "default": "allow", "risk": ["execute": "deny"],
                "tools": ["echo": ["approval": ["hold": "1s", "timeout": "1s"]]],
            ])
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            let risky = try await worker.post(toolCall(1, "stop-pod"), grant: grant)
            #expect(risky.response(id: 1)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "risk_denied")
            #expect(risky.response(id: 1)?["result"]?["_meta"]?["portcullis/decision"]?["rule"] == "(risk)")

            let lapsed = try await worker.post(toolCall(2, "echo"), grant: grant, accept: "application/json")
            #expect(lapsed.response(id: 2)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "approval_expired")
            #expect(upstream.callCount(tool: "echo") == 0)
            #expect(upstream.callCount(tool: "stop-pod") == 0)
        }
    }
}
