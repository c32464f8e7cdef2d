import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Shared

extension MCPEndpoint {
    /// A POST: the body read within its limits, parsed once, judged, then answered or forwarded
    /// exactly as judged (design.md §5.2, §5.9).
    func post(_ request: Request, _ exchange: MCPExchange, connection: any Channel) async -> Response {
        let body: [UInt8]
        do {
            let buffer = try await request.collectBody(upTo: limits.maxBodyBytes, within: limits.bodyReadTimeout, on: connection)
            body = Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            return await reject(.tooLarge(limit: limits.maxBodyBytes), exchange)
        } catch {
            return await reject(.bodyTimeout, exchange)
        }
        let routing = IncomingMessage.RoutingHeaders(
            method: exchange.headers[Self.mcpMethodHeader], name: exchange.headers[Self.mcpNameHeader])
        let limits = IncomingMessage.Limits(maxBodyBytes: limits.maxBodyBytes, maxBatchElements: limits.maxBatchElements)
        let protocolVersion = exchange.protocolVersion
        let read = { @Sendable in IncomingMessage.read(body, protocolVersion: protocolVersion, routing: routing, limits: limits) }
        // Issue 10 item 26: a large body is parsed on the pool in its account's turn, not on the
        // event loop every account's requests share; here after all once the pool has stopped.
        let message: IncomingMessage
        switch (try? await parsePool.run(size: body.count, for: exchange.caller.grant.accountID, read)) ?? read() {
        case .failure(let rejection): return await reject(rejection, exchange)
        case .success(let parsed): message = parsed
        }
        if let refusal = await refuseOutOfScope(message, exchange) { return refusal }
        switch message {
        case .batch(let elements):
            return await batch(elements, exchange)
        case .single(let message):
            return await single(message, body: body, exchange)
        }
    }

    private static let mcpMethodHeader = HTTPField.Name("Mcp-Method")!
    private static let mcpNameHeader = HTTPField.Name("Mcp-Name")!

    private func single(_ message: JSONRPCMessage, body: [UInt8], _ exchange: MCPExchange) async -> Response {
        switch message {
        case .request(let request) where request.method == "tools/call":
            return await toolCall(request, body: body, exchange)
        case .request(let request):
            let plan = UpstreamRelay.Plan(requestID: request.id, listsTools: request.method == "tools/list")
            let opensSession = request.method == "initialize"
                ? request.params?["protocolVersion"]?.stringValue ?? exchange.protocolVersion ?? "2025-03-26" : nil
            return await forwardAudited(body, method: request.method, id: request.id, exchange, plan: plan, opensSession: opensSession)
        case .notification(let notification):
            return await forwardAudited(body, method: notification.method, id: nil, exchange, plan: UpstreamRelay.Plan())
        case .response(let response):
            return await forwardAudited(body, method: "response", id: response.id, exchange, plan: UpstreamRelay.Plan())
        }
    }

    /// Methods the gateway does not judge: recorded, then forwarded unchanged (design.md §5.2).
    private func forwardAudited(
        _ body: [UInt8], method: String, id: JSONRPCID?, _ exchange: MCPExchange, plan: UpstreamRelay.Plan,
        opensSession: String? = nil
    ) async -> Response {
        guard await recordPassedOn(method: method, id: id, bytesIn: body.count, exchange) else {
            return GatewayAnswers.auditUnavailable(id: id)
        }
        return await forwarder.forward(body, exchange, plan: plan, opensSession: opensSession) { _ in }
    }

    /// A message the gateway passes on without judging it is counted and recorded before it goes
    /// upstream; false when its event could not be spooled.
    func recordPassedOn(method: String, id: JSONRPCID?, bytesIn: Int?, _ exchange: MCPExchange) async -> Bool {
        metrics.countRequest(method: method, decision: "allow")
        var event = exchange.auditEvent(method: method, id: id, decision: "allow")
        event.bytesIn = bytesIn.map(Int64.init)
        return await auditor.record(event)
    }

    /// A body the gateway will not judge gets its design.md §5.9 answer, and an audit row: the caller is known.
    private func reject(_ rejection: MessageRejection, _ exchange: MCPExchange) async -> Response {
        guard await recordRejection(rejection, exchange) else { return GatewayAnswers.auditUnavailable(id: rejection.id) }
        return GatewayAnswers.rejection(rejection)
    }

    /// The audit row of a message the gateway refused to read; false when it could not be spooled.
    func recordRejection(_ rejection: MessageRejection, _ exchange: MCPExchange) async -> Bool {
        metrics.countRequest(method: "invalid", decision: "rejected")
        var event = exchange.auditEvent(method: nil, id: rejection.id, decision: "deny")
        event.code = "invalid_message"
        event.message = rejection.error.message
        return await auditor.record(event)
    }
}
