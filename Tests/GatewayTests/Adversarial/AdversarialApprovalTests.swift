import Foundation
import Logging
import Shared
import TestSupport
import Testing

@testable import Gateway
import JSON
import PolicyEngine

/// Issue 10 item 18: an agent cannot flood its approvers, approvers see what they approve, and an
/// approval is not lost to a call that is refused after consuming it.
@Suite(.timeLimit(.minutes(3)))
struct AdversarialApprovalTests {
    static let requirement = ApprovalRequirement(rule: "/tools/create-pod/approval", timeoutSeconds: 900, holdSeconds: 1)

    static func key(_ base: ApprovalCallKey, arguments: JSONValue) -> ApprovalCallKey {
        ApprovalCallKey(
            account: base.account, grant: base.grant, tool: base.tool,
            argumentsHashes: ApprovalFingerprint(keyRing: ApprovalStoreTests.keyRing).hashes(tool: base.tool, arguments: arguments))
    }

    @Test func newApprovalRequestsBeyondThePerGrantRateAreDeniedRateLimitedWhileAPendingOneIsStillReused() async throws {
        try await withTestDatabase { db, _ in
            let base = try await ApprovalStoreTests.grantedCall(db, arguments: ["gpuCount": 0])
            let hold = ApprovalHold(
                ledger: PostgresApprovalLedger(database: db, requestsPerGrantPerMinute: 3), watcher: ApprovalDecisionWatcher(database: db),
                keepAliveInterval: .seconds(1), admission: AccountAdmission(), logger: Logger(label: "t"))
            var created: [UUID] = []
            for count in 1...3 {
                let arguments: JSONValue = ["gpuCount": .number(JSONNumber(count))]
                guard case .pending(let pending) = await hold.lookUpOrRequest(Self.key(base, arguments: arguments), arguments: arguments, requirement: Self.requirement) else {
                    Issue.record("request \(count) should be pending"); return
                }
                #expect(pending.isNew)
                created.append(pending.id)
            }
            let flood: JSONValue = ["gpuCount": 4]
            guard case .refused(let denial) = await hold.lookUpOrRequest(Self.key(base, arguments: flood), arguments: flood, requirement: Self.requirement) else {
                Issue.record("the fourth new request in a minute should be refused"); return
            }
            #expect(denial.code == .rateLimited)
            #expect(denial.message.contains("3 approvals in the last minute"))
            #expect((denial.retryAfterSeconds ?? 0) > 0)
            // The identical call of a pending request is not a new request.
            let first: JSONValue = ["gpuCount": 1]
            guard case .pending(let reused) = await hold.lookUpOrRequest(Self.key(base, arguments: first), arguments: first, requirement: Self.requirement) else {
                Issue.record("a pending request should be reused"); return
            }
            #expect(reused.id == created[0] && !reused.isNew)
            #expect(try await db.query("SELECT count(*)::int AS n FROM approvals").first?.decode("n", as: Int.self) == 3)
        }
    }

    /// An approval policy that audits argument names only, whose `stop-pod` shares a daily counter
    /// of one call with `echo`.
    static let keysOnlyPolicy: JSONValue = [
        "version": "1", "default": "deny", "audit": ["arguments": "keys"],
        "tools": [
            "echo": ["limits": [["counter": "shared", "window": "day", "max": 1]]],
            "stop-pod": ["approval": ["hold": "1s", "timeout": "10m"], "limits": [["counter": "shared", "window": "day", "max": 1]]],
        ],
    ]

    /// Issue 10 item 22: a request made and approved under the old key is still found, and consumed
    /// once, after a new key is put first in the ring.
    @Test func anApprovalMadeBeforeAKeyRotationIsConsumedAfterIt() async throws {
        try await withTestDatabase { db, _ in
            let store = PostgresApprovalLedger(database: db)
            let arguments: JSONValue = ["gpuCount": 2]
            let before = try await ApprovalStoreTests.grantedCall(db, arguments: arguments)
            let pending = try await store.request(before, arguments: arguments, rule: Self.requirement.rule, timeout: .seconds(900))
            try await ApprovalStoreTests.decide(db, pending.id, "approved")

            let rotated = try SecretKeyRing(parsing: "v2:" + Data(repeating: 9, count: 32).base64EncodedString() + ","
                + "v1:" + Data(repeating: 7, count: 32).base64EncodedString())
            let fingerprint = ApprovalFingerprint(keyRing: rotated)
            #expect(fingerprint.hash(tool: before.tool, arguments: arguments) != before.argumentsHash, "new requests use the new key")
            let after = ApprovalCallKey(
                account: before.account, grant: before.grant, tool: before.tool,
                argumentsHashes: fingerprint.hashes(tool: before.tool, arguments: arguments))
            #expect(try await store.consumeApproved(after) == pending.id)
            #expect(try await store.consumeApproved(after) == nil)
        }
    }

    /// Issue 10 item 15: the account's bound on pending approvals, enforced by the database,
    /// reaches the agent as a denial that says so, not as an outage of the approval store.
    @Test func aCallBeyondTheAccountsPendingApprovalBoundIsDeniedAsSuch() async throws {
        try await withTestDatabase { db, _ in
            try await db.execute("UPDATE account_limits SET pending_approvals = 1")
            let base = try await ApprovalStoreTests.grantedCall(db, arguments: ["gpuCount": 1])
            let hold = ApprovalHold(
                ledger: PostgresApprovalLedger(database: db), watcher: ApprovalDecisionWatcher(database: db),
                keepAliveInterval: .seconds(1), admission: AccountAdmission(), logger: Logger(label: "t"))
            let first: JSONValue = ["gpuCount": 1]
            guard case .pending = await hold.lookUpOrRequest(Self.key(base, arguments: first), arguments: first, requirement: Self.requirement) else {
                Issue.record("the first request should be pending"); return
            }
            let second: JSONValue = ["gpuCount": 2]
            guard case .refused(let denial) = await hold.lookUpOrRequest(Self.key(base, arguments: second), arguments: second, requirement: Self.requirement) else {
                Issue.record("a request beyond the bound should be refused"); return
            }
            #expect(denial.code == .approvalPending)
            #expect(denial.message.contains("as many pending approvals as it may"))
        }
    }

    @Test func theApproverSeesRedactedArgumentsEvenWhenThePolicyAuditsOnlyKeys() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.keysOnlyPolicy)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            let answer = try await worker.post(
                toolCall(1, "stop-pod", ["pod_id": "p1", "apiToken": "tok_live_abcdef", "note": "keep"]), grant: grant, accept: "application/json")
            #expect(answer.response(id: 1)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "approval_pending")
            let (_, list) = try await harness.admin(.GET, "/v1/approvals?status=pending")
            let arguments = try #require(list["items"]?.arrayValue?.first?["arguments"])
            #expect(arguments["pod_id"] == "p1")
            #expect(arguments["note"] == "keep")
            #expect(arguments["apiToken"] == "[REDACTED]")
        }
    }

    @Test func anApprovalConsumedForACallThatIsThenRateLimitedIsGivenBack() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.keysOnlyPolicy)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            // `echo` fills the shared counter; then `stop-pod` is requested and approved.
            let echo = try await worker.post(toolCall(1, "echo", ["text": "hi"]), grant: grant, accept: "application/json")
            #expect(echo.response(id: 1)?["result"]?["isError"] == false)
            let requested = try await worker.post(toolCall(2, "stop-pod", ["pod_id": "p1"]), grant: grant, accept: "application/json")
            #expect(requested.response(id: 2)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "approval_pending")
            let (_, list) = try await harness.admin(.GET, "/v1/approvals?status=pending")
            let approvalID = try #require(list["items"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(try await harness.admin(.POST, "/v1/approvals/\(approvalID)/approve", [:]).status == 200)

            // The retry consumes the approval, then meets the full counter.
            let retry = try await worker.post(toolCall(3, "stop-pod", ["pod_id": "p1"]), grant: grant, accept: "application/json")
            #expect(retry.response(id: 3)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "rate_limited")
            #expect(upstream.callCount(tool: "stop-pod") == 0)
            let (_, approval) = try await harness.admin(.GET, "/v1/approvals/\(approvalID)")
            #expect(approval["status"] == "approved")
            #expect(approval["consumed_at"] == .null)
        }
    }
}
