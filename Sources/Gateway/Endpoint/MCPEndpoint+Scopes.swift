import HTTPTypes
import Hummingbird
import Shared

extension MCPEndpoint {
    /// Issue 14 item 1: an access token carries scopes (`MCPScopes`), and a message whose method
    /// needs one it lacks gets 403 `insufficient_scope` before it is judged, so the client can ask
    /// for more. For a batch, the first element out of scope refuses the whole batch. A grant
    /// token holds every scope and never stops here.
    func refuseOutOfScope(_ message: IncomingMessage, _ exchange: MCPExchange) async -> Response? {
        guard exchange.caller.scopes != .all else { return nil }
        let messages: [JSONRPCMessage] = switch message {
        case .single(let message): [message]
        case .batch(let elements): elements.compactMap { try? $0.get() }
        }
        for message in messages {
            let (method, id): (String, JSONRPCID?) = switch message {
            case .request(let request): (request.method, request.id)
            case .notification(let notification): (notification.method, nil)
            case .response(let response): ("response", response.id)
            }
            let needed = MCPScopes.required(forMethod: method)
            if let refusal = await refuseOutOfScope(method: method, needs: needed, id: id, exchange) { return refusal }
        }
        return nil
    }

    /// The 403 for `method` when the caller's scopes do not cover `needed`, recorded on its account.
    func refuseOutOfScope(method: String, needs needed: MCPScopes, id: JSONRPCID?, _ exchange: MCPExchange) async -> Response? {
        guard !exchange.caller.scopes.isSuperset(of: needed) else { return nil }
        metrics.countRequest(method: method, decision: "refused")
        var event = exchange.auditEvent(method: method, id: id, decision: "deny")
        event.code = "insufficient_scope"
        event.message = "The access token does not grant \(needed.claim)."
        guard await auditor.record(event) else { return GatewayAnswers.auditUnavailable(id: id) }
        return GatewayAnswers.insufficientScope(
            method: method, needs: needed, id: id, challenge: resource.insufficientScopeChallenge(server: exchange.caller.server.id))
    }
}
