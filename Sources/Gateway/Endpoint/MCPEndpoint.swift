import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Shared

/// The MCP endpoint: the path every agent request takes (docs/gateway.md, "How a request flows"),
/// composed of typed parts. Here: readiness, `Origin`, grant authentication and the session; then
/// a POST is read (`MCPEndpoint+Messages`), a `tools/call` judged by `judge` (`+ToolCall`), what
/// is allowed carried by `forwarder`, a call held for approval answered by `heldCalls`; GET and
/// DELETE go straight upstream. What the endpoint refuses itself it records with `auditor`.
struct MCPEndpoint: Sendable {
    struct Limits: Sendable {
        var maxBodyBytes = 4 << 20
        var bodyReadTimeout: Duration = .seconds(30)
        var maxEventBytes = ServerSentEventParser.defaultMaxEventBytes
        var maxBatchElements = 100
    }

    let snapshots: SnapshotStore
    let judge: ToolCallJudge
    let forwarder: UpstreamForwarder
    /// Nil when the worker has no database (the judge then holds no call).
    let heldCalls: HeldCallStream?
    let auditor: RequestAuditor
    /// Per-account bounds on requests at this worker (issue 10 item 26).
    let admission: AccountAdmission
    /// Where bodies larger than its inline size are parsed, in their account's turn (issue 10 item 26).
    let parsePool: AnswerRewritePool
    let metrics: GatewayMetrics
    let limits: Limits
    /// Browser origins allowed to call (design.md §5.9); requests without `Origin` are not browsers.
    let allowedOrigins: Set<String>
    /// This gateway's public URL, for access tokens' audience and the challenges of 401 and 403.
    let resource: ProtectedResource

    /// How long a verified access token waits for the snapshot that holds its authorization.
    static let consentPropagationWait: Duration = .seconds(3)

    /// `connection` is the agent's connection, for the body-read deadline (`post`).
    func handle(_ request: Request, credential: GrantCredential, connection: any Channel) async -> Response {
        let started = ContinuousClock.now
        defer { metrics.recordGatewayLatency(nanoseconds: (ContinuousClock.now - started).nanoseconds) }
        guard var snapshot = snapshots.snapshot else { return GatewayAnswers.noSnapshot }
        if let origin = request.headers[.origin], !allowedOrigins.contains(origin) { return GatewayAnswers.originRefused }

        func authenticate(in snapshot: EnforcementSnapshot) -> CallerAuthentication {
            CallerAuthenticator.authenticate(
                credential, authorization: request.headers[.authorization], resource: resource, in: snapshot, now: Date())
        }
        var authentication = authenticate(in: snapshot)
        if case .awaitingSnapshot(let version) = authentication,
           let newer = await snapshots.snapshot(atLeast: version, within: Self.consentPropagationWait) {
            snapshot = newer
            authentication = authenticate(in: newer)
        }
        let caller: AuthenticatedGrant
        switch authentication {
        case .authenticated(let grant): caller = grant
        case .refused(let refusal, let auditedOn):
            metrics.countRequest(method: "unauthenticated", decision: "refused")
            return await refuse(refusal, credential, auditedOn: auditedOn, request, in: snapshot, started: started)
        case .awaitingSnapshot:
            metrics.countRequest(method: "unauthenticated", decision: "refused")
            return await refuse(.invalidAccessToken, credential, auditedOn: nil, request, in: snapshot, started: started)
        }

        let sealedSessionID = request.headers[MCPExchange.sessionIDHeader]
        let session = sealedSessionID.flatMap { forwarder.sessions.open($0, for: caller.grant.id) }
        let exchange = MCPExchange(
            snapshot: snapshot, caller: caller, headers: request.headers, session: session,
            sealedSessionID: sealedSessionID, started: started)
        if sealedSessionID != nil, session == nil { return await refuseUnknownSession(request.method, exchange) }

        // Issue 10 item 26: an account's requests beyond its bounds wait their turn or get 429.
        let admitted = await admission.serving(caller.grant.accountID) {
            switch request.method {
            case .post: await post(request, exchange, connection: connection)
            default: await passThrough(request.method, exchange)
            }
        }
        if let admitted { return admitted }
        return await refuseAccountBusy(exchange)
    }

    /// A refused credential (design.md §5.3), recorded on the account of the caller it names when
    /// that is certain (`CallerAuthentication.refused`, issue 10 item 4). On `/mcp/{serverId}` a
    /// 401 points the client at the server's protected resource metadata (issue 14 item 1).
    private func refuse(
        _ refusal: GrantRefusal, _ credential: GrantCredential, auditedOn caller: AuthenticatedGrant?, _ request: Request,
        in snapshot: EnforcementSnapshot, started: ContinuousClock.Instant
    ) async -> Response {
        let challenge: String? = switch credential {
        case .secretURL: nil
        case .bearer(let path):
            resource.unauthorizedChallenge(server: UUID(uuidString: path), tokenSent: refusal != .missingToken)
        }
        let answer = GatewayAnswers.refusal(refusal, challenge: challenge)
        guard let caller else { return answer }
        let exchange = MCPExchange(
            snapshot: snapshot, caller: caller, headers: request.headers, session: nil, sealedSessionID: nil, started: started)
        var event = exchange.auditEvent(method: nil, id: nil, decision: "deny")
        event.code = "grant_refused"
        event.message = refusal.message
        guard await auditor.record(event) else { return GatewayAnswers.auditUnavailable(id: nil) }
        return answer
    }

    /// A session id that does not open for this grant (forged, expired keys, another grant's):
    /// 404 so the client initializes again, and a row, since the grant is known (issue 10 item 4).
    private func refuseUnknownSession(_ method: HTTPRequest.Method, _ exchange: MCPExchange) async -> Response {
        metrics.countRequest(method: "invalid", decision: "rejected")
        var event = exchange.auditEvent(method: nil, id: nil, decision: "deny")
        event.code = "session_not_found"
        event.message = "\(method.rawValue) with a session id that does not open for this grant"
        guard await auditor.record(event) else { return GatewayAnswers.auditUnavailable(id: nil) }
        return GatewayAnswers.sessionNotFound
    }

    /// GET (the server's event stream, or its 405) and DELETE (end of session) go upstream as they
    /// are; both are audited like any request.
    private func passThrough(_ method: HTTPRequest.Method, _ exchange: MCPExchange) async -> Response {
        // The server's event stream and the end of a session only carry the conversation on.
        if let refusal = await refuseOutOfScope(method: method.rawValue, needs: .read, id: nil, exchange) { return refusal }
        guard await recordPassedOn(method: method.rawValue, id: nil, bytesIn: nil, exchange) else {
            return GatewayAnswers.auditUnavailable(id: nil)
        }
        return await forwarder.passThrough(method, exchange)
    }
}
