import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging
import NIOHTTP1
import Shared

/// Carries a judged message to the grant's server and its answer back (design.md §5.4): the sealed
/// session, the upstream credential the server's mode calls for (the server's own or the caller's
/// identity's, `CallerUpstreamAuth`; opened only for the call that needs it, design.md §3), the
/// upstream client and the relay that reads and filters the answer. It decides nothing.
struct UpstreamForwarder: Sendable {
    let sessions: SessionSealer
    let credentials: SecretSealer
    let upstream: UpstreamClient
    let relay: UpstreamRelay
    /// Tool lists coming back update it, and are filtered for the grant (`relayed`).
    let liveDefinitions: LiveToolDefinitions
    let reportDrift: @Sendable (UUID, String, String) -> Void
    let metrics: GatewayMetrics
    let logger: Logger

    /// Sends a message (or a GET / DELETE) to the grant's server with the credential its mode calls for
    /// and the upstream session id from the sealed session (design.md §5.4). `opensSession` is the protocol
    /// version of an `initialize`: its answer carries a new sealed session id instead of the upstream's.
    private func send(
        _ body: [UInt8]?, method: HTTPMethod, _ exchange: MCPExchange, opensSession protocolVersion: String? = nil
    ) async -> Result<(UpstreamClient.Answer, HTTPFields), UpstreamFailure> {
        let server = exchange.caller.server
        let auth: UpstreamAuth
        switch CallerUpstreamAuth.auth(for: exchange.caller, in: exchange.snapshot, sealer: credentials, now: Date(), logger: logger) {
        case .success(let opened): auth = opened
        case .failure(let failure): return .failure(failure)
        }
        let headers = UpstreamHeaders.request(
            from: exchange.headers, auth: auth, upstreamSessionID: protocolVersion == nil ? exchange.session?.upstreamSessionID : nil)
        let answer: UpstreamClient.Answer
        do {
            // Waiting for the upstream costs no CPU: the account's working place goes to its next request.
            answer = try await AccountAdmission.whileIdle { () async throws(UpstreamFailure) -> UpstreamClient.Answer in
                try await upstream.send(
                    method: method, to: server, account: exchange.snapshot.accountsByID[server.accountID], headers: headers, body: body)
            }
        } catch {
            return .failure(error)
        }
        metrics.recordUpstreamLatency(nanoseconds: answer.latencyNanoseconds)
        var sealed = exchange.sealedSessionID
        if let protocolVersion, answer.status == 200 {
            let state = SessionState(
                grant: exchange.caller.grant.id, upstreamSessionID: answer.headers.first(name: "mcp-session-id"),
                protocolVersion: protocolVersion)
            sealed = try? sessions.seal(state)
        }
        return .success((answer, UpstreamHeaders.response(from: answer.headers, sealedSessionID: sealed)))
    }

    /// Forwards one message or batch and relays the answer; an unreachable upstream becomes the
    /// JSON-RPC error of design.md §5.4 for `plan.requestID`. `finished` learns how it went, for audit
    /// and for giving back counters of a call that failed upstream.
    func forward(
        _ body: [UInt8], _ exchange: MCPExchange, plan: UpstreamRelay.Plan, opensSession protocolVersion: String? = nil,
        finished: @escaping @Sendable (UpstreamResult) async -> Void
    ) async -> Response {
        let finished = noticingUnreadableLists(plan, exchange, then: finished)
        switch await send(body, method: .POST, exchange, opensSession: protocolVersion) {
        case .failure(let failure):
            await finished(UpstreamResult(failure: failure))
            if plan.requestID == nil && plan.gatewayAnswers.isEmpty { return Response(status: .accepted) }
            let error = JSONRPCResponse(id: plan.requestID, outcome: .error(failure.rpcError))
            let answer: JSONValue = plan.gatewayAnswers.isEmpty ? error.jsonValue : .array(plan.gatewayAnswers + [error.jsonValue])
            return GatewayAnswers.json(answer)
        case .success(let (answer, headers)):
            return await relay.response(for: answer, headers: headers, plan: relayed(plan, exchange)) { outcome in
                await finished(UpstreamResult(answer: answer, outcome: outcome))
            }
        }
    }

    /// The same, on an SSE stream the gateway already answers on (a call held for approval). The
    /// result is returned also when the agent went away meanwhile, for the call's `response` row.
    func forward(
        _ body: [UInt8], _ exchange: MCPExchange, plan: UpstreamRelay.Plan, into writer: inout any ResponseBodyWriter
    ) async -> UpstreamResult {
        switch await send(body, method: .POST, exchange) {
        case .failure(let failure):
            let error = JSONRPCResponse(id: plan.requestID, outcome: .error(failure.rpcError))
            try? await writer.write(ServerSentEvent(message: error.jsonValue).encoded())
            return UpstreamResult(failure: failure)
        case .success(let (answer, _)):
            var outcome = UpstreamRelay.Outcome()
            do {
                try await relay.writeEvents(of: answer, plan: relayed(plan, exchange), into: &writer, outcome: &outcome)
            } catch {
                outcome.noteAgentWentAway()
            }
            return UpstreamResult(answer: answer, outcome: outcome)
        }
    }

    /// GET (the server's event stream, or its 405) and DELETE (end of session) go upstream as they
    /// are, once audited by the endpoint.
    func passThrough(_ method: HTTPRequest.Method, _ exchange: MCPExchange) async -> Response {
        switch await send(nil, method: NIOHTTP1.HTTPMethod(rawValue: method.rawValue), exchange) {
        case .failure(let failure):
            let status: HTTPResponse.Status = method == .get ? .badGateway : .ok
            return GatewayAnswers.error(failure.rpcError, id: nil, status: status)
        case .success(let (answer, headers)):
            return await relay.response(for: answer, headers: headers, plan: relayed(UpstreamRelay.Plan(), exchange)) { _ in }
        }
    }
}
