import Hummingbird
import Shared

extension MCPEndpoint {
    /// A JSON-RPC batch (MCP 2025-03-26 only, SPEC 5.2): each element is judged on its own; the
    /// gateway answers the denied and malformed ones, forwards the rest as one smaller batch, and
    /// merges its answers into the upstream's. Calls needing a fresh approval are answered pending
    /// rather than held, since holding one would hold every other answer of the batch.
    func batch(_ elements: [Result<JSONRPCMessage, MessageRejection>], _ exchange: MCPExchange) async -> Response {
        var answers: [JSONValue] = []
        var forwarded: [JSONValue] = []
        var calls: [(ToolCall, ToolCallPermit)] = []
        var listIDs: [JSONRPCID] = []
        for element in elements {
            switch element {
            case .failure(let rejection):
                answers.append(rejection.response.jsonValue)
            case .success(.request(let request)) where request.method == "tools/call":
                guard let call = ToolCall(
                    request, bytesIn: 0, exchange: exchange, liveDefinitions: liveDefinitions, fingerprint: argumentsFingerprint
                ) else {
                    answers.append(JSONRPCResponse(id: request.id, outcome: .error(GatewayAnswers.missingToolNameError)).jsonValue)
                    continue
                }
                switch await judge(call, exchange, mayHold: false) {
                case .forward(let permit):
                    forwarded.append(request.jsonValue)
                    calls.append((call, permit))
                case .answer(let response):
                    answers.append(response.jsonValue)
                case .unrecorded, .hold:
                    answers.append(JSONRPCResponse(id: request.id, outcome: .error(GatewayAnswers.auditUnavailableError)).jsonValue)
                }
            case .success(let message):
                if case .request(let request) = message, request.method == "tools/list" { listIDs.append(request.id) }
                let (method, id) = Self.methodAndID(of: message)
                guard await recordPassedOn(method: method, id: id, bytesIn: nil, exchange) else {
                    if let id { answers.append(JSONRPCResponse(id: id, outcome: .error(GatewayAnswers.auditUnavailableError)).jsonValue) }
                    continue
                }
                forwarded.append(message.jsonValue)
            }
        }
        if forwarded.isEmpty {
            return answers.isEmpty ? Response(status: .accepted) : GatewayAnswers.json(.array(answers))
        }
        let filters: [@Sendable (JSONValue) -> JSONValue] = listIDs.map { toolListRewrite(for: $0, exchange) }
        var plan = UpstreamRelay.Plan(gatewayAnswers: answers)
        if !filters.isEmpty {
            plan.rewrite = { message in filters.reduce(message) { rewritten, filter in filter(rewritten) } }
        }
        let permits = calls
        return await forward(JSONValue.array(forwarded).serializedBytes(), exchange, plan: plan) { result in
            for (call, permit) in permits { await finish(call, permit, result, exchange) }
        }
    }

    private static func methodAndID(of message: JSONRPCMessage) -> (String, JSONRPCID?) {
        switch message {
        case .request(let request): (request.method, request.id)
        case .notification(let notification): (notification.method, nil)
        case .response(let response): ("response", response.id)
        }
    }
}
