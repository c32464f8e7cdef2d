import Foundation
import PolicyEngine
import Shared

/// How each outcome of a `tools/call` is counted and recorded before it takes effect.
extension ToolCallJudge {
    /// Counts and records a call (`countAndRecord`). An approval consumed for it goes back to
    /// approved when the call is not forwarded after all (its rate limit is full, the counter store
    /// refuses, the audit spool fails), so the human's decision is not lost (issue 10 item 18).
    func admit(
        _ call: ToolCall, _ counters: [CounterReservation], approvalID: UUID?, _ exchange: MCPExchange, now: PolicyTime
    ) async -> ToolCallVerdict {
        let verdict = await countAndRecord(call, counters, approvalID: approvalID, exchange, now: now)
        if case .forward = verdict { return verdict }
        if let approvalID, let approvals { await approvals.giveBack(approvalID) }
        return verdict
    }

    /// design.md §4 step 7: every counter reserved, or the call is denied; then recorded before forwarding.
    private func countAndRecord(
        _ call: ToolCall, _ counters: [CounterReservation], approvalID: UUID?, _ exchange: MCPExchange, now: PolicyTime
    ) async -> ToolCallVerdict {
        var unenforced: [CounterReservation] = []
        switch await self.counters.reserve(counters, now: now) {
        case .exhausted(let reservation):
            return await deny(call, reservation.exhaustedDenial(now: now), exchange, approvalID: approvalID)
        case .unavailable(let reservation):
            metrics.counterStoreErrors.increment()
            return await deny(call, reservation.storeUnavailableDenial(), exchange, approvalID: approvalID)
        case .reserved(let open):
            if !open.isEmpty { metrics.counterStoreErrors.increment() }
            unenforced = open
        }
        // Only what was counted may be given back: a `fail: open` limit the store could not check
        // counted nothing, and releasing it would hand out units nobody leased (issue 11 item 1).
        let counted = counters.filter { !unenforced.contains($0) }
        var event = call.auditEvent(exchange, decision: "allow")
        event.approvalID = approvalID
        event.unenforcedLimits = unenforced.isEmpty ? nil : unenforced.map(\.rule)
        metrics.countRequest(method: "tools/call", decision: "allow")
        guard await auditor.record(event) else {
            await self.counters.release(counted)
            return .unrecorded
        }
        return .forward(ToolCallPermit(call: call, reservations: counted, approvalID: approvalID))
    }

    /// design.md §5.3: a denial is a tool result the model reads, recorded before it is answered.
    func deny(_ call: ToolCall, _ denial: PolicyDenial, _ exchange: MCPExchange, approvalID: UUID? = nil) async -> ToolCallVerdict {
        var event = call.auditEvent(exchange, decision: "deny")
        event.code = denial.code.rawValue
        event.rule = denial.rule
        event.message = denial.message
        event.approvalID = approvalID
        metrics.countRequest(method: "tools/call", decision: denial.code.rawValue)
        guard await auditor.record(event) else { return .unrecorded }
        return .answer(JSONRPCResponse(id: call.request.id, outcome: .result(call.denialResult(denial, protocolVersion: exchange.protocolVersion))))
    }

    /// A hidden tool, or a denied one nobody has seen: the error of a tool that does not exist.
    func unknownTool(_ call: ToolCall, rule: String, _ exchange: MCPExchange) async -> ToolCallVerdict {
        var event = call.auditEvent(exchange, decision: "deny")
        event.code = "unknown_tool"
        event.rule = rule
        metrics.countRequest(method: "tools/call", decision: "unknown_tool")
        guard await auditor.record(event) else { return .unrecorded }
        return .answer(JSONRPCResponse(id: call.request.id, outcome: .error(GatewayAnswers.unknownToolError(call.name))))
    }

    /// A `tools/call` that names no tool: -32602 without a decision, recorded (issue 10 item 4).
    func refuseUnnamed(_ request: JSONRPCRequest, _ exchange: MCPExchange) async -> ToolCallVerdict {
        metrics.countRequest(method: "tools/call", decision: "rejected")
        var event = exchange.auditEvent(method: request.method, id: request.id, decision: "deny")
        event.code = "invalid_params"
        event.message = GatewayAnswers.missingToolNameError.message
        guard await auditor.record(event) else { return .unrecorded }
        return .answer(JSONRPCResponse(id: request.id, outcome: .error(GatewayAnswers.missingToolNameError)))
    }
}
