import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1
import Shared

extension MCPEndpoint {
    /// Sends a message (or a GET / DELETE) to the grant's server with the server's own credentials
    /// and the upstream session id from the sealed session (SPEC 5.4). `opensSession` is the protocol
    /// version of an `initialize`: its answer carries a new sealed session id instead of the upstream's.
    func send(
        _ body: [UInt8]?, method: HTTPMethod, _ exchange: MCPExchange, opensSession protocolVersion: String? = nil
    ) async -> Result<(UpstreamClient.Answer, HTTPFields), UpstreamFailure> {
        let server = exchange.caller.server
        let auth: UpstreamAuth
        do {
            auth = try UpstreamAuth(
                storedType: server.authType, sealedBytes: server.sealedCredentials.flatMap { Data(base64Encoded: $0) }.map(Array.init),
                sealer: credentials, account: server.accountID, server: server.id)
        } catch {
            logger.error("upstream credentials do not open", metadata: ["server.id": "\(server.id)", "error": "\(error)"])
            return .failure(UpstreamFailure(reason: "unreachable: the server's credentials cannot be opened by this gateway"))
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
    /// JSON-RPC error of SPEC 5.4 for `plan.requestID`. `finished` learns how it went, for audit
    /// and for giving back counters of a call that failed upstream.
    func forward(
        _ body: [UInt8], _ exchange: MCPExchange, plan: UpstreamRelay.Plan, opensSession protocolVersion: String? = nil,
        finished: @escaping @Sendable (UpstreamResult) async -> Void
    ) async -> Response {
        let finished = noticingUnreadableLists(plan, exchange, then: finished)
        switch await send(body, method: .POST, exchange, opensSession: protocolVersion) {
        case .failure(let failure):
            await finished(UpstreamResult(failure: failure.reason))
            if plan.requestID == nil && plan.gatewayAnswers.isEmpty { return Response(status: .accepted) }
            let error = JSONRPCResponse(id: plan.requestID, outcome: .error(GatewayAnswers.upstreamUnavailableError(failure.reason)))
            let answer: JSONValue = plan.gatewayAnswers.isEmpty ? error.jsonValue : .array(plan.gatewayAnswers + [error.jsonValue])
            return GatewayAnswers.json(answer)
        case .success(let (answer, headers)):
            return await relay.response(for: answer, headers: headers, plan: relayed(plan, exchange)) { outcome in
                await finished(UpstreamResult(answer: answer, outcome: outcome))
            }
        }
    }

    /// Issue 10 item 7: a `tools/list` whose answer failed or was cut leaves the server's live
    /// definitions unknown (under `pin: block` its tools are then not approved); an agent that
    /// hung up says nothing about the upstream.
    private func noticingUnreadableLists(
        _ plan: UpstreamRelay.Plan, _ exchange: MCPExchange, then finished: @escaping @Sendable (UpstreamResult) async -> Void
    ) -> @Sendable (UpstreamResult) async -> Void {
        guard plan.listsTools else { return finished }
        let server = exchange.caller.server.id
        return { [liveDefinitions] result in
            if result.failure != nil, !result.agentWentAway { liveDefinitions.listing(of: server, wasReadable: false) }
            await finished(result)
        }
    }

    /// Every answer coming back is filtered for this grant, whatever request it claims to answer
    /// (issue 10 item 7).
    func relayed(_ plan: UpstreamRelay.Plan, _ exchange: MCPExchange) -> UpstreamRelay.Plan {
        var plan = plan
        plan.rewrite = toolListRewrite(exchange)
        plan.account = exchange.caller.server.accountID
        return plan
    }

    /// The same, on an SSE stream the gateway already answers on (a call held for approval). The
    /// result is returned also when the agent went away meanwhile, for the call's `response` row.
    func forward(
        _ body: [UInt8], _ exchange: MCPExchange, plan: UpstreamRelay.Plan, into writer: inout any ResponseBodyWriter
    ) async -> UpstreamResult {
        switch await send(body, method: .POST, exchange) {
        case .failure(let failure):
            let error = JSONRPCResponse(id: plan.requestID, outcome: .error(GatewayAnswers.upstreamUnavailableError(failure.reason)))
            try? await writer.write(ServerSentEvent(message: error.jsonValue).encoded())
            return UpstreamResult(failure: failure.reason)
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
}

/// How a forwarded message fared upstream, for its audit row and its counters.
struct UpstreamResult: Sendable {
    var status: Int?
    var latencyNanoseconds: Int64?
    var bytesOut: Int64 = 0
    var failure: String?
    /// The JSON-RPC response the upstream gave, when captured.
    var answer: JSONValue?
    var agentWentAway = false

    init(failure: String) {
        self.failure = failure
    }

    init(answer: UpstreamClient.Answer, outcome: UpstreamRelay.Outcome) {
        status = answer.status
        latencyNanoseconds = answer.latencyNanoseconds
        bytesOut = outcome.bytesOut
        failure = outcome.failure
        self.answer = outcome.answer
        agentWentAway = outcome.agentWentAway
    }

    /// A transport failure, an upstream 5xx or a JSON-RPC error: the call's counters are given
    /// back (policy language, "Limits"). A result with `isError: true` still counts.
    var failedUpstream: Bool {
        guard let status else { return true }
        return status >= 500 || answer?["error"] != nil
    }
}
