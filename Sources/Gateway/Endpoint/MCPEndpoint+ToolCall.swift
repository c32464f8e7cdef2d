import Hummingbird
import Shared

extension MCPEndpoint {
    /// A single `tools/call`: judged, then forwarded, answered, or held for approval.
    func toolCall(_ request: JSONRPCRequest, body: [UInt8], _ exchange: MCPExchange) async -> Response {
        let verdict = await judge.judge(request, bytesIn: body.count, exchange, mayHold: true)
        guard case .hold(let held) = verdict else { return await answer(verdict, body, request, exchange) }
        guard let heldCalls else { return GatewayAnswers.auditUnavailable(id: request.id) }
        if exchange.acceptsEventStream {
            return heldCalls.response(for: held, sealedSessionID: exchange.sealedSessionID) { [judge, forwarder] settlement, writer in
                switch await judge.settle(held, settlement, exchange) {
                case .forward(let permit):
                    let result = await forwarder.forward(body, exchange, plan: Self.callPlan(request), into: &writer)
                    await judge.finish(permit, result, exchange)
                case .answer(let response):
                    try await writer.write(ServerSentEvent(message: response.jsonValue).encoded())
                case .unrecorded, .hold:
                    let refusal = JSONRPCResponse(id: request.id, outcome: .error(GatewayAnswers.auditUnavailableError))
                    try await writer.write(ServerSentEvent(message: refusal.jsonValue).encoded())
                }
            }
        }
        let settlement = await heldCalls.approvals.settlement(of: held.pending, requirement: held.requirement)
        return await answer(judge.settle(held, settlement, exchange), body, request, exchange)
    }

    /// A verdict that holds nothing, as the answer of a plain (non-SSE) POST.
    private func answer(_ verdict: ToolCallVerdict, _ body: [UInt8], _ request: JSONRPCRequest, _ exchange: MCPExchange) async -> Response {
        switch verdict {
        case .forward(let permit): await forward(body, permit, exchange)
        case .answer(let response): GatewayAnswers.json(response.jsonValue)
        case .unrecorded, .hold: GatewayAnswers.auditUnavailable(id: request.id)
        }
    }

    private func forward(_ body: [UInt8], _ permit: ToolCallPermit, _ exchange: MCPExchange) async -> Response {
        await forwarder.forward(body, exchange, plan: Self.callPlan(permit.call.request)) { [judge] result in
            await judge.finish(permit, result, exchange)
        }
    }

    /// A call's answer is captured: its counters go back on an error, and it may be audited.
    private static func callPlan(_ request: JSONRPCRequest) -> UpstreamRelay.Plan {
        UpstreamRelay.Plan(requestID: request.id, capturesAnswer: true)
    }
}
