import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Shared

extension MCPEndpoint {
    /// What judging a `tools/call` came to.
    enum ToolCallVerdict: Sendable {
        /// Allowed, counted and recorded: forward it.
        case forward(ToolCallPermit)
        /// The gateway answers (a denial result or the unknown-tool error); already recorded.
        case answer(JSONRPCResponse)
        /// A human must decide first (SPEC 5.6 steps 3-4).
        case hold(ApprovalStore.Pending, ApprovalRequirement, counters: [CounterReservation])
        /// The audit event could not be spooled: refuse with 503 (SPEC 7).
        case unrecorded
    }

    /// What an allowed call carries to the upstream and back.
    struct ToolCallPermit: Sendable {
        let reservations: [CounterReservation]
        let approvalID: UUID?
    }

    /// A single `tools/call`: judged, then forwarded, answered, or held for approval.
    func toolCall(_ request: JSONRPCRequest, body: [UInt8], _ exchange: MCPExchange) async -> Response {
        guard let call = ToolCall(
            request, bytesIn: body.count, exchange: exchange, liveDefinitions: liveDefinitions, fingerprint: argumentsFingerprint
        ) else {
            guard let refusal = await refuseUnnamedCall(request, exchange) else { return GatewayAnswers.auditUnavailable(id: request.id) }
            return GatewayAnswers.json(refusal.jsonValue)
        }
        switch await judge(call, exchange, mayHold: true) {
        case .answer(let response):
            return GatewayAnswers.json(response.jsonValue)
        case .unrecorded:
            return GatewayAnswers.auditUnavailable(id: request.id)
        case .forward(let permit):
            return await forward(body, exchange, plan: UpstreamRelay.Plan(requestID: request.id, capturesAnswer: true)) { result in
                await finish(call, permit, result, exchange)
            }
        case .hold(let pending, let requirement, let counters):
            guard let approvals else { return GatewayAnswers.auditUnavailable(id: request.id) }
            if exchange.acceptsEventStream {
                return heldOnEventStream(call, body: body, pending, requirement, counters, approvals, exchange)
            }
            let settlement = (try? await approvals.hold(pending, requirement: requirement) {})
                ?? .refused(approvals.pendingDenial(pending, requirement), approval: pending.id)
            switch await settle(settlement, call, counters, exchange) {
            case .forward(let permit):
                return await forward(body, exchange, plan: UpstreamRelay.Plan(requestID: request.id, capturesAnswer: true)) { result in
                    await finish(call, permit, result, exchange)
                }
            case .answer(let response): return GatewayAnswers.json(response.jsonValue)
            case .unrecorded, .hold: return GatewayAnswers.auditUnavailable(id: request.id)
            }
        }
    }

    /// SPEC 5.6 step 3 for a client that reads SSE: the answer starts at once, keep-alive comments
    /// (and progress notifications when the call asked for them) flow while the call is held, and
    /// the upstream's answer or the denial follows on the same stream.
    private func heldOnEventStream(
        _ call: ToolCall, body: [UInt8], _ pending: ApprovalStore.Pending, _ requirement: ApprovalRequirement,
        _ counters: [CounterReservation], _ approvals: ApprovalHold, _ exchange: MCPExchange
    ) -> Response {
        var headers: HTTPFields = [.contentType: GatewayAnswers.sseContentType, .cacheControl: "no-cache"]
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        if let session = exchange.sealedSessionID { headers[MCPExchange.sessionIDHeader] = session }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await metrics.withOpenStream {
                var progress = 0
                let settlement = try await approvals.hold(pending, requirement: requirement) {
                    try await writer.write(ServerSentEvent.keepAlive)
                    if let token = call.progressToken {
                        progress += 1
                        let notification = JSONRPCNotification(method: "notifications/progress", params: [
                            "progressToken": token, "progress": .number(JSONNumber(progress)),
                            "message": .string("Waiting for a human to decide approval \(pending.id.uuidString.lowercased())"),
                        ])
                        try await writer.write(ServerSentEvent(message: notification.jsonValue).encoded())
                    }
                }
                switch await settle(settlement, call, counters, exchange) {
                case .forward(let permit):
                    let result = await forward(body, exchange, plan: UpstreamRelay.Plan(requestID: call.request.id, capturesAnswer: true), into: &writer)
                    await finish(call, permit, result, exchange)
                case .answer(let response):
                    try await writer.write(ServerSentEvent(message: response.jsonValue).encoded())
                case .unrecorded, .hold:
                    let refusal = JSONRPCResponse(id: call.request.id, outcome: .error(GatewayAnswers.auditUnavailableError))
                    try await writer.write(ServerSentEvent(message: refusal.jsonValue).encoded())
                }
            }
            try await writer.finish(nil)
        })
    }

    /// SPEC 4 through the engine, then counters and approvals. `mayHold` is false inside a batch,
    /// whose other answers cannot wait: a call needing a new approval is then answered pending.
    func judge(_ call: ToolCall, _ exchange: MCPExchange, mayHold: Bool) async -> ToolCallVerdict {
        let now = PolicyTime.now
        switch PolicyEngine.decide(policy: exchange.caller.policy?.compiled, call: call.policyCall, now: now) {
        case .hidden:
            return await unknownTool(call, rule: PolicyDenial.Marker.hidden, exchange)
        case .deny(let denial) where call.isUnknown:
            // A denied tool nobody has seen gets the answer of a hidden one, so the two cannot be
            // told apart (SPEC 5.3); the audit row keeps the rule that denied it.
            return await unknownTool(call, rule: denial.rule, exchange)
        case .deny(let denial):
            return await deny(call, denial, exchange)
        case .allow(let counters):
            return await admit(call, counters, approvalID: nil, exchange, now: now)
        case .needsApproval(let requirement, let counters):
            guard let approvals else {
                return await deny(call, PolicyDenial(
                    code: .approvalPending, rule: requirement.rule,
                    message: "Tool \"\(call.name)\" needs a human approval, and this gateway has no approval store (no database)."), exchange)
            }
            let grant = exchange.caller.grant
            let key = ApprovalStore.CallKey(
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
                if mayHold { return .hold(pending, requirement, counters: counters) }
                return await settle(.refused(approvals.pendingDenial(pending, requirement), approval: pending.id), call, counters, exchange)
            }
        }
    }

    private func unknownTool(_ call: ToolCall, rule: String, _ exchange: MCPExchange) async -> ToolCallVerdict {
        var event = call.auditEvent(exchange, decision: "deny")
        event.code = "unknown_tool"
        event.rule = rule
        metrics.countRequest(method: "tools/call", decision: "unknown_tool")
        guard await auditor.record(event) else { return .unrecorded }
        return .answer(JSONRPCResponse(id: call.request.id, outcome: .error(GatewayAnswers.unknownToolError(call.name))))
    }

    /// After a hold: an approved call is counted and forwarded, a refused one answered.
    private func settle(
        _ settlement: ApprovalHold.Settlement, _ call: ToolCall, _ counters: [CounterReservation], _ exchange: MCPExchange
    ) async -> ToolCallVerdict {
        switch settlement {
        case .approved(let id): await admit(call, counters, approvalID: id, exchange, now: .now)
        case .refused(let denial, let approval): await deny(call, denial, exchange, approvalID: approval)
        }
    }

    /// Counts and records a call (`countAndRecord`). An approval consumed for it goes back to
    /// approved when the call is not forwarded after all (its rate limit is full, the counter store
    /// refuses, the audit spool fails), so the human's decision is not lost (issue 10 item 18).
    private func admit(
        _ call: ToolCall, _ counters: [CounterReservation], approvalID: UUID?, _ exchange: MCPExchange, now: PolicyTime
    ) async -> ToolCallVerdict {
        let verdict = await countAndRecord(call, counters, approvalID: approvalID, exchange, now: now)
        if case .forward = verdict { return verdict }
        if let approvalID, let approvals { await approvals.giveBack(approvalID) }
        return verdict
    }

    /// SPEC 4 step 7: every counter reserved, or the call is denied; then recorded before forwarding.
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
        return .forward(ToolCallPermit(reservations: counted, approvalID: approvalID))
    }

    /// SPEC 5.3: a denial is a tool result the model reads, recorded before it is answered.
    private func deny(_ call: ToolCall, _ denial: PolicyDenial, _ exchange: MCPExchange, approvalID: UUID? = nil) async -> ToolCallVerdict {
        var event = call.auditEvent(exchange, decision: "deny")
        event.code = denial.code.rawValue
        event.rule = denial.rule
        event.message = denial.message
        event.approvalID = approvalID
        metrics.countRequest(method: "tools/call", decision: denial.code.rawValue)
        guard await auditor.record(event) else { return .unrecorded }
        return .answer(JSONRPCResponse(id: call.request.id, outcome: .result(call.denialResult(denial, protocolVersion: exchange.protocolVersion))))
    }

    /// After the upstream answered (or failed): the call's second audit row with the upstream's
    /// status, latency and size, and its counters given back if it never ran (SPEC 4 step 8).
    func finish(_ call: ToolCall, _ permit: ToolCallPermit, _ result: UpstreamResult, _ exchange: MCPExchange) async {
        if result.failedUpstream { await counters.release(permit.reservations) }
        var event = call.auditEvent(exchange, kind: "response", decision: "allow")
        event.approvalID = permit.approvalID
        event.upstreamStatus = result.status
        event.upstreamLatencyMs = result.latencyNanoseconds.map { Double($0) / 1_000_000 }
        event.bytesOut = result.bytesOut
        event.message = result.agentWentAway ? result.failure : result.failure.map { "Upstream MCP server unavailable: \($0)" }
        if exchange.caller.policy?.compiled.auditResults == true, let answer = result.answer {
            // `audit.results: true` keeps the result, with credentials masked as in arguments.
            event.result = AuditedArguments(answer["result"] ?? answer["error"] ?? .null, mode: .full).values
        }
        auditor.recordAfterAnswer(event)
    }
}

extension PolicyTime {
    /// The engine reads no clock; the gateway passes it the wall-clock time of each decision.
    static var now: PolicyTime {
        PolicyTime(millisecondsSince1970: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
