import HTTPTypes
import Hummingbird
import Shared

extension MCPEndpoint {
    /// A request beyond its account's bound on open requests (`AccountAdmission`, issue 10 item 26):
    /// HTTP 429 with `Retry-After`, before its body is read, and an `account_busy` row like every
    /// refusal of a known grant.
    func refuseAccountBusy(_ exchange: MCPExchange) async -> Response {
        metrics.countRequest(method: "other", decision: "account_busy")
        var event = exchange.auditEvent(method: nil, id: nil, decision: "deny")
        event.code = "account_busy"
        event.message = Self.accountBusyError(admission.limits.open).message
        guard await auditor.record(event) else { return GatewayAnswers.auditUnavailable(id: nil) }
        return GatewayAnswers.error(
            Self.accountBusyError(admission.limits.open), id: nil, status: .tooManyRequests, headers: [.retryAfter: "1"])
    }

    static func accountBusyError(_ limit: Int) -> JSONRPCErrorObject {
        JSONRPCErrorObject(
            code: -32603,
            message: "Too many requests of this account are open on this gateway (at most \(limit)); try again shortly.")
    }
}
