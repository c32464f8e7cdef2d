import Hummingbird
import JSON
import Shared

extension MCPEndpoint {
    /// A batch after judging: what the gateway answers itself and what goes upstream.
    private struct JudgedBatch {
        var answers: [JSONValue] = []
        var forwarded: [JSONValue] = []
        var permits: [ToolCallPermit] = []
        var listsTools = false
    }

    /// A JSON-RPC batch (MCP 2025-03-26 only, design.md §5.2): each element is judged on its own; the
    /// gateway answers the denied and malformed ones, forwards the rest as one smaller batch, and
    /// merges its answers into the upstream's. Calls needing a fresh approval are answered pending
    /// rather than held, since holding one would hold every other answer of the batch. The
    /// elements' audit events are spooled together, once before forwarding and once after the
    /// answer (issue 10 item 3); if that fails nothing is forwarded and the batch gets 503.
    func batch(_ elements: [Result<JSONRPCMessage, MessageRejection>], _ exchange: MCPExchange) async -> Response {
        let (judged, events) = await auditor.gathering { await judgeEach(elements, exchange) }
        guard await auditor.record(events) else {
            for permit in judged.permits { await judge.withdraw(permit) }
            return GatewayAnswers.auditUnavailable(id: nil)
        }
        if judged.forwarded.isEmpty {
            return judged.answers.isEmpty ? Response(status: .accepted) : GatewayAnswers.json(.array(judged.answers))
        }
        let plan = UpstreamRelay.Plan(gatewayAnswers: judged.answers, listsTools: judged.listsTools)
        let permits = judged.permits
        return await forwarder.forward(JSONValue.array(judged.forwarded).serializedBytes(), exchange, plan: plan) { [auditor, judge] result in
            let (_, responses) = await auditor.gathering {
                for permit in permits { await judge.finish(permit, result, exchange) }
            }
            auditor.recordAfterAnswer(responses)
        }
    }

    private func judgeEach(_ elements: [Result<JSONRPCMessage, MessageRejection>], _ exchange: MCPExchange) async -> JudgedBatch {
        var judged = JudgedBatch()
        for element in elements {
            switch element {
            case .failure(let rejection):
                // Recorded like a rejected single message (issue 10 item 4).
                _ = await recordRejection(rejection, exchange)
                judged.answers.append(rejection.response.jsonValue)
            case .success(.request(let request)) where request.method == "tools/call":
                switch await judge.judge(request, bytesIn: 0, exchange, mayHold: false) {
                case .forward(let permit):
                    judged.forwarded.append(request.jsonValue)
                    judged.permits.append(permit)
                case .answer(let response):
                    judged.answers.append(response.jsonValue)
                case .unrecorded, .hold:
                    // Neither comes here (no hold in a batch; every record succeeds while gathering),
                    // but an element must be answered whatever the verdict.
                    judged.answers.append(JSONRPCResponse(id: request.id, outcome: .error(GatewayAnswers.auditUnavailableError)).jsonValue)
                }
            case .success(let message):
                if case .request(let request) = message, request.method == "tools/list" { judged.listsTools = true }
                let (method, id) = Self.methodAndID(of: message)
                _ = await recordPassedOn(method: method, id: id, bytesIn: nil, exchange)
                judged.forwarded.append(message.jsonValue)
            }
        }
        return judged
    }

    private static func methodAndID(of message: JSONRPCMessage) -> (String, JSONRPCID?) {
        switch message {
        case .request(let request): (request.method, request.id)
        case .notification(let notification): (notification.method, nil)
        case .response(let response): ("response", response.id)
        }
    }
}
