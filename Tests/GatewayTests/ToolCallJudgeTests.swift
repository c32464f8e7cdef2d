import Foundation
import Logging
import Shared
import Testing

@testable import Gateway
import PolicyEngine

/// The decision path in-process (issue 11 item 5, issue 15 item 8): the judge with memory counters,
/// the in-memory approval ledger and a real spool in a temporary folder, without HTTP, upstream or
/// database. Every verdict is checked with the audit event it left in the spool.
@Suite(.timeLimit(.minutes(1)))
struct ToolCallJudgeTests {
    static let policy = #"""
        {"version": "1", "default": "deny", "hide": ["drop-cluster"],
         "tools": {
           "list-pods": {},
           "create-pod": {
             "require": [{"conditions": [{"path": "args.gpuCount", "op": "lte", "value": 2}]}],
             "deny_if": [{"conditions": [{"path": "args.imageName", "op": "regex", "value": ":latest$"}]}]},
           "restart-pod": {"limits": [{"counter": "restarts", "window": "hour", "max": 2}]},
           "stop-pod": {"approval": {"hold": "20s", "timeout": "10m"}},
           "purge-pod": {"approval": {"hold": "1s", "timeout": "10m"}}
         }}
        """#

    @Test func anAllowedCallIsForwardedAndRecordedAsAllowed() async throws {
        try await JudgeWorld.with { world in
            guard case .forward(let permit) = await world.verdict(1, "list-pods") else { Issue.record("list-pods is allowed"); return }
            #expect(permit.call.name == "list-pods")
            #expect(permit.approvalID == nil)
            let event = try #require(try await world.events().only)
            #expect(event.kind == "request" && event.decision == "allow" && event.tool == "list-pods")
            #expect(event.grantID == world.exchange.caller.grant.id && event.accountID == world.exchange.caller.grant.accountID)
            #expect(event.argumentsHMAC?.isEmpty == false)
        }
    }

    @Test func aToolThePolicyDoesNotListIsDeniedWithAToolResultAndRecorded() async throws {
        try await JudgeWorld.with { world in
            let answer = try #require(await world.verdict(1, "update-pod").answer)
            #expect(answer.result?["isError"] == true)
            #expect(answer.result?["_meta"]?["portcullis/decision"]?["code"] == "default_deny")
            let event = try #require(try await world.events().only)
            #expect(event.decision == "deny" && event.code == "default_deny" && event.rule == PolicyDenial.Marker.defaultDeny)
            #expect(event.message?.contains("update-pod") == true)
        }
    }

    @Test func aHiddenToolIsAnsweredAsUnknownAndRecordedWithTheHiddenRule() async throws {
        try await JudgeWorld.with { world in
            let answer = try #require(await world.verdict(1, "drop-cluster").answer)
            #expect(answer.error?.code == -32602)
            #expect(answer.error?.message == PolicyMessages.unknownTool("drop-cluster"))
            let event = try #require(try await world.events().only)
            #expect(event.code == "unknown_tool" && event.rule == PolicyDenial.Marker.hidden && event.decision == "deny")
        }
    }

    @Test func aDeniedToolNobodyHasSeenGetsTheAnswerOfAnUnknownOne() async throws {
        try await JudgeWorld.with { world in
            let answer = try #require(await world.verdict(1, "not-in-the-catalog").answer)
            #expect(answer.error?.message == PolicyMessages.unknownTool("not-in-the-catalog"))
            let event = try #require(try await world.events().only)
            #expect(event.code == "unknown_tool" && event.rule != PolicyDenial.Marker.hidden)
        }
    }

    @Test func argumentRulesDenyTheCallsThatBreakThemAndAllowTheOthers() async throws {
        try await JudgeWorld.with { world in
            let tooMany = try #require(await world.verdict(1, "create-pod", ["gpuCount": 4, "imageName": "app:1.2"]).answer)
            #expect(tooMany.result?["_meta"]?["portcullis/decision"]?["code"] == "require_failed")
            let latest = try #require(await world.verdict(2, "create-pod", ["gpuCount": 1, "imageName": "app:latest"]).answer)
            #expect(latest.result?["_meta"]?["portcullis/decision"]?["code"] == "deny_if")
            guard case .forward = await world.verdict(3, "create-pod", ["gpuCount": 1, "imageName": "app:1.2"]) else {
                Issue.record("a call within the rules is allowed"); return
            }
            let events = try await world.events()
            #expect(events.map(\.decision) == ["deny", "deny", "allow"])
            #expect(events.map(\.rule) == ["/tools/create-pod/require/0", "/tools/create-pod/deny_if/0", nil])
        }
    }

    @Test func aCallBeyondItsRateLimitIsDeniedRateLimitedAndAFailedCallGivesItsUnitBack() async throws {
        try await JudgeWorld.with { world in
            guard case .forward(let first) = await world.verdict(1, "restart-pod"),
                  case .forward = await world.verdict(2, "restart-pod")
            else { Issue.record("two restarts fit the limit"); return }
            let third = try #require(await world.verdict(3, "restart-pod").answer)
            #expect(third.result?["_meta"]?["portcullis/decision"]?["code"] == "rate_limited")
            #expect(third.result?["_meta"]?["portcullis/decision"]?["rule"] == "/tools/restart-pod/limits/0")

            // The first call failed upstream: its unit goes back, and its response row says so.
            await world.judge.finish(first, UpstreamResult(failure: UpstreamFailure(reason: "connection refused")), world.exchange)
            guard case .forward = await world.verdict(4, "restart-pod") else { Issue.record("the unit given back is usable"); return }
            let events = try await world.events()
            #expect(events.map(\.code) == [nil, nil, "rate_limited", nil, nil])
            #expect(events.map(\.kind) == ["request", "request", "request", "response", "request"])
            #expect(events[3].message == "Upstream MCP server unavailable: connection refused")
        }
    }

    @Test func aCallNeedingApprovalIsHeldItsRequestRecordedAndAnnounced() async throws {
        try await JudgeWorld.with { world in
            guard case .hold(let held) = await world.verdict(1, "stop-pod", ["pod_id": "p1"]) else { Issue.record("stop-pod is held"); return }
            #expect(held.pending.isNew)
            #expect(held.requirement.rule == "/tools/stop-pod/approval")
            let event = try #require(try await world.events().only)
            #expect(event.kind == "approval_requested" && event.code == "approval_pending" && event.approvalID == held.pending.id)
            #expect(world.notices.all.map(\.pending.id) == [held.pending.id])
            // The identical call again reuses the pending request: no second row, no second notice.
            guard case .hold(let again) = await world.verdict(2, "stop-pod", ["pod_id": "p1"]) else { Issue.record("still held"); return }
            #expect(again.pending.id == held.pending.id && !again.pending.isNew)
            #expect(try await world.events().count == 1)
            #expect(world.notices.all.count == 1)
        }
    }

    @Test func aHeldCallApprovedByAHumanIsForwardedWithItsApproval() async throws {
        try await JudgeWorld.with { world in
            guard case .hold(let held) = await world.verdict(1, "stop-pod", ["pod_id": "p1"]) else { Issue.record("stop-pod is held"); return }
            // The human decides while the call is held: the first keep-alive shows it waits.
            let settlement = try await world.hold.hold(held.pending, requirement: held.requirement) {
                world.ledger.decide(held.pending.id, approved: true)
            }
            guard case .forward(let permit) = await world.judge.settle(held, settlement, world.exchange) else {
                Issue.record("an approved call is forwarded"); return
            }
            #expect(permit.approvalID == held.pending.id)
            #expect(world.ledger.all[held.pending.id]?.status == .consumed)
            let events = try await world.events()
            #expect(events.map(\.kind) == ["approval_requested", "request"])
            #expect(events[1].decision == "allow" && events[1].approvalID == held.pending.id)
        }
    }

    @Test func aHeldCallDeniedByAHumanIsAnsweredWithTheirReason() async throws {
        try await JudgeWorld.with { world in
            guard case .hold(let held) = await world.verdict(1, "stop-pod", ["pod_id": "p1"]) else { Issue.record("stop-pod is held"); return }
            let settlement = try await world.hold.hold(held.pending, requirement: held.requirement) {
                world.ledger.decide(held.pending.id, approved: false, reason: "not during the demo")
            }
            let answer = try #require(await world.judge.settle(held, settlement, world.exchange).answer)
            #expect(answer.result?["_meta"]?["portcullis/decision"]?["code"] == "approval_denied")
            let event = try #require(try await world.events().last)
            #expect(event.code == "approval_denied" && event.approvalID == held.pending.id)
            #expect(event.message?.contains("not during the demo") == true)
        }
    }

    @Test func aHeldCallNobodyDecidesIsAnsweredPendingWhenItsHoldEnds() async throws {
        try await JudgeWorld.with { world in
            guard case .hold(let held) = await world.verdict(1, "purge-pod") else { Issue.record("purge-pod is held"); return }
            let settlement = await world.hold.settlement(of: held.pending, requirement: held.requirement)
            let answer = try #require(await world.judge.settle(held, settlement, world.exchange).answer)
            #expect(answer.result?["_meta"]?["portcullis/decision"]?["code"] == "approval_pending")
            #expect(try await world.events().map(\.code) == ["approval_pending", "approval_pending"])
        }
    }

    @Test func anApprovalGrantedEarlierIsConsumedByTheIdenticalCall() async throws {
        try await JudgeWorld.with { world in
            guard case .hold(let held) = await world.verdict(1, "stop-pod", ["pod_id": "p1"]) else { Issue.record("stop-pod is held"); return }
            world.ledger.decide(held.pending.id, approved: true)
            guard case .forward(let permit) = await world.verdict(2, "stop-pod", ["pod_id": "p1"]) else {
                Issue.record("the retried call consumes the approval"); return
            }
            #expect(permit.approvalID == held.pending.id)
            // Other arguments are another call: it needs its own approval.
            guard case .hold(let other) = await world.verdict(3, "stop-pod", ["pod_id": "p2"]) else { Issue.record("another call is held"); return }
            #expect(other.pending.id != held.pending.id)
        }
    }

    @Test func aGrantAskingForMoreApprovalsThanItsRateIsDeniedRateLimitedAndRecorded() async throws {
        try await JudgeWorld.with(approvalRequestsPerMinute: 1) { world in
            guard case .hold = await world.verdict(1, "stop-pod", ["pod_id": "p1"]) else { Issue.record("the first request is held"); return }
            let answer = try #require(await world.verdict(2, "stop-pod", ["pod_id": "p2"]).answer)
            #expect(answer.result?["_meta"]?["portcullis/decision"]?["code"] == "rate_limited")
            let events = try await world.events()
            #expect(events.map(\.kind) == ["approval_requested", "request"])
            #expect(events[1].code == "rate_limited" && events[1].rule == "/tools/stop-pod/approval")
            #expect(world.ledger.all.count == 1)
            #expect(world.notices.all.count == 1)
        }
    }

    @Test func inABatchACallNeedingApprovalIsAnsweredPendingInsteadOfHeld() async throws {
        try await JudgeWorld.with { world in
            let answer = try #require(await world.verdict(1, "stop-pod", mayHold: false).answer)
            #expect(answer.result?["_meta"]?["portcullis/decision"]?["code"] == "approval_pending")
            #expect(try await world.events().map(\.kind) == ["approval_requested", "request"])
        }
    }

    @Test func withoutAnApprovalStoreACallNeedingApprovalIsDeniedClearly() async throws {
        try await JudgeWorld.with(approvals: false) { world in
            let answer = try #require(await world.verdict(1, "stop-pod").answer)
            #expect(answer.result?["_meta"]?["portcullis/decision"]?["code"] == "approval_pending")
            let event = try #require(try await world.events().only)
            #expect(event.message?.contains("no approval store") == true)
        }
    }

    @Test func aToolWhoseLiveDefinitionChangedIsBlockedByThePin() async throws {
        try await JudgeWorld.with { world in
            world.liveDefinitions.record("changed-upstream", for: EnforcementSnapshot.ToolKey(serverID: world.exchange.caller.server.id, name: "list-pods"))
            let answer = try #require(await world.verdict(1, "list-pods").answer)
            #expect(answer.result?["_meta"]?["portcullis/decision"]?["code"] == "pin_blocked")
            let event = try #require(try await world.events().only)
            #expect(event.code == "pin_blocked" && event.rule == PolicyDenial.Marker.pin && event.toolDefinitionHash == "changed-upstream")
        }
    }

    @Test func aCallThatNamesNoToolIsRefusedInvalidParamsAndRecorded() async throws {
        try await JudgeWorld.with { world in
            let request = JSONRPCRequest(id: 7, method: "tools/call", params: ["arguments": [:]])
            let answer = try #require(await world.judge.judge(request, bytesIn: 30, world.exchange, mayHold: true).answer)
            #expect(answer.error?.code == -32602)
            let event = try #require(try await world.events().only)
            #expect(event.code == "invalid_params" && event.decision == "deny")
        }
    }

    @Test func theResponseRowCarriesTheUpstreamsStatusAndKeepsTheCountersOfASuccessfulCall() async throws {
        try await JudgeWorld.with { world in
            guard case .forward(let permit) = await world.verdict(1, "restart-pod") else { Issue.record("allowed"); return }
            var result = UpstreamResult(failure: UpstreamFailure(reason: ""))
            result.failure = nil
            result.status = 200
            result.bytesOut = 123
            await world.judge.finish(permit, result, world.exchange)
            let response = try #require(try await world.events().last)
            #expect(response.kind == "response" && response.upstreamStatus == 200 && response.bytesOut == 123 && response.message == nil)
            guard case .forward = await world.verdict(2, "restart-pod") else { Issue.record("the second fits"); return }
            #expect(await world.verdict(3, "restart-pod").answer != nil, "the successful call's unit stays spent")
        }
    }

    @Test func aCallWhoseEventCannotBeSpooledIsUnrecordedAndGivesItsCountersBack() async throws {
        try await JudgeWorld.with(spoolLimit: 1) { world in
            guard case .unrecorded = await world.verdict(1, "restart-pod") else { Issue.record("a full spool refuses the call"); return }
            #expect(try await world.events().isEmpty)
            // Nothing stays spent: both units of the limit are still there.
            let reservations = try world.counters(of: "restart-pod")
            #expect(reservations.count == 1)
            #expect(await world.judge.counters.reserve(reservations, now: .now) == .reserved(unenforced: []))
            #expect(await world.judge.counters.reserve(reservations, now: .now) == .reserved(unenforced: []))
        }
    }
}
