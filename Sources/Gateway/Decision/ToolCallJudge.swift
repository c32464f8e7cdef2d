import Foundation
import PolicyEngine
import Shared

/// Decides a `tools/call` (design.md §4, §5.5, 5.6): the policy engine, then the counters, then
/// approvals, every decision recorded by the auditor before it takes effect. Given the exchange
/// (snapshot, caller, session) and the request, it answers a verdict; it writes no HTTP and
/// calls no upstream, so it is tested in-process (`ToolCallJudgeTests`).
struct ToolCallJudge: Sendable {
    let counters: any CounterStore
    /// Nil when the worker has no database: calls that need approval are then denied clearly.
    let approvals: ApprovalHold?
    let approvalRequested: @Sendable (ApprovalRequestNotice) -> Void
    let auditor: RequestAuditor
    /// HMAC of a call's canonical arguments, for audit rows and approval matching alike.
    let argumentsFingerprint: ApprovalFingerprint
    /// The definitions seen in `tools/list` answers: a call runs against the live one (pinning).
    let liveDefinitions: LiveToolDefinitions
    let metrics: GatewayMetrics

    /// design.md §4 through the engine, then counters and approvals. `mayHold` is false inside a batch,
    /// whose other answers cannot wait: a call needing a new approval is then answered pending.
    /// A call that names no tool is answered -32602 without a decision, and recorded (issue 10 item 4).
    func judge(_ request: JSONRPCRequest, bytesIn: Int, _ exchange: MCPExchange, mayHold: Bool) async -> ToolCallVerdict {
        guard let call = ToolCall(
            request, bytesIn: bytesIn, exchange: exchange, liveDefinitions: liveDefinitions, fingerprint: argumentsFingerprint
        ) else {
            return await refuseUnnamed(request, exchange)
        }
        let now = PolicyTime.now
        switch CompiledPolicy.decide(policy: exchange.caller.policy?.compiled, call: call.policyCall, now: now) {
        case .hidden:
            return await unknownTool(call, rule: PolicyDenial.Marker.hidden, exchange)
        case .deny(let denial) where call.isUnknown:
            // A denied tool nobody has seen gets the answer of a hidden one, so the two cannot be
            // told apart (design.md §5.3); the audit row keeps the rule that denied it.
            return await unknownTool(call, rule: denial.rule, exchange)
        case .deny(let denial):
            return await deny(call, denial, exchange)
        case .allow(let counters):
            return await admit(call, counters, approvalID: nil, exchange, now: now)
        case .needsApproval(let requirement, let counters):
            return await askApproval(call, requirement, counters, exchange, mayHold: mayHold, now: now)
        }
    }

    /// design.md §5.6 steps 1-2: an approval already granted for this exact call is consumed; otherwise
    /// the request is made (recorded, and announced by the webhook when new) and the call held.
    private func askApproval(
        _ call: ToolCall, _ requirement: ApprovalRequirement, _ counters: [CounterReservation], _ exchange: MCPExchange,
        mayHold: Bool, now: PolicyTime
    ) async -> ToolCallVerdict {
        guard let approvals else {
            return await deny(call, PolicyDenial(
                code: .approvalPending, rule: requirement.rule,
                message: "Tool \"\(call.name)\" needs a human approval, and this gateway has no approval store (no database)."), exchange)
        }
        let grant = exchange.caller.grant
        let key = ApprovalCallKey(
            account: grant.accountID, grant: grant.id, tool: call.name,
            argumentsHashes: argumentsFingerprint.hashes(tool: call.name, arguments: call.policyCall.arguments))
        switch await approvals.lookUpOrRequest(key, arguments: call.policyCall.arguments, requirement: requirement) {
        case .alreadyApproved(let id):
            return await admit(call, counters, approvalID: id, exchange, now: now)
        case .refused(let denial):
            return await deny(call, denial, exchange)
        case .pending(let pending):
            if pending.isNew {
                var event = call.auditEvent(exchange, kind: "approval_requested", decision: "deny")
                event.code = DenialCode.approvalPending.rawValue
                event.rule = requirement.rule
                event.approvalID = pending.id
                guard await auditor.record(event) else { return .unrecorded }
                approvalRequested(ApprovalRequestNotice(
                    account: exchange.snapshot.accountsByID[exchange.caller.grant.accountID], pending: pending, key: key,
                    caller: exchange.caller, rule: requirement.rule))
            }
            let held = HeldToolCall(call: call, pending: pending, requirement: requirement, counters: counters)
            if mayHold { return .hold(held) }
            return await settle(held, .refused(approvals.pendingDenial(pending, requirement), approval: pending.id), exchange)
        }
    }

    /// After a hold: an approved call is counted and forwarded, a refused one answered.
    func settle(_ held: HeldToolCall, _ settlement: ApprovalHold.Settlement, _ exchange: MCPExchange) async -> ToolCallVerdict {
        switch settlement {
        case .approved(let id): await admit(held.call, held.counters, approvalID: id, exchange, now: .now)
        case .refused(let denial, let approval): await deny(held.call, denial, exchange, approvalID: approval)
        }
    }

    /// An allowed call that is not forwarded after all (its batch could not be recorded): its
    /// counters go back.
    func withdraw(_ permit: ToolCallPermit) async {
        await counters.release(permit.reservations)
    }

    /// After the upstream answered (or failed): the call's second audit row with the upstream's
    /// status, latency and size, and its counters given back if it never ran (design.md §4 step 8).
    func finish(_ permit: ToolCallPermit, _ result: UpstreamResult, _ exchange: MCPExchange) async {
        if result.failedUpstream { await counters.release(permit.reservations) }
        var event = permit.call.auditEvent(exchange, kind: "response", decision: "allow")
        event.approvalID = permit.approvalID
        event.upstreamStatus = result.status
        event.upstreamLatencyMs = result.latencyNanoseconds.map { Double($0) / 1_000_000 }
        event.bytesOut = result.bytesOut
        event.message = result.agentWentAway ? result.failure : result.failureMessage
        if exchange.caller.policy?.compiled.auditResults == true, let answer = result.answer {
            // `audit.results: true` keeps the result, with credentials masked as in arguments.
            event.result = AuditedArguments(answer["result"] ?? answer["error"] ?? .null, mode: .full).values
        }
        auditor.recordAfterAnswer(event)
    }
}
