import Crypto
import Foundation
import HTTPTypes
import Shared

/// One agent request after authentication: who sent it, the snapshot that judges it, and the
/// session it belongs to. Everything later on the path reads from here.
struct MCPExchange: Sendable {
    let snapshot: EnforcementSnapshot
    let caller: AuthenticatedGrant
    /// The client's headers, filtered by `UpstreamHeaders` before anything goes upstream.
    let headers: HTTPFields
    /// The opened `Mcp-Session-Id`, when the client sent one.
    let session: SessionState?
    /// The sealed id as the client sent it.
    let sealedSessionID: String?
    /// SHA-256 of the sealed id: names the session in audit rows and counters without the id itself.
    let sessionDigest: [UInt8]?
    let started: ContinuousClock.Instant

    init(
        snapshot: EnforcementSnapshot, caller: AuthenticatedGrant, headers: HTTPFields, session: SessionState?,
        sealedSessionID: String?, started: ContinuousClock.Instant
    ) {
        self.snapshot = snapshot
        self.caller = caller
        self.headers = headers
        self.session = session
        self.sealedSessionID = sealedSessionID
        self.sessionDigest = sealedSessionID.map { Array(SHA256.hash(data: Array($0.utf8))) }
        self.started = started
    }

    /// `MCP-Protocol-Version` from the client, else what its session was opened with.
    var protocolVersion: String? {
        headers[Self.protocolVersionHeader] ?? session?.protocolVersion
    }

    var acceptsEventStream: Bool {
        headers[.accept]?.lowercased().contains(GatewayAnswers.sseContentType) == true
    }

    static let protocolVersionHeader = HTTPField.Name("MCP-Protocol-Version")!
    static let sessionIDHeader = HTTPField.Name("Mcp-Session-Id")!

    /// An audit event with who, when, where and which snapshot already filled in (design.md §7).
    func auditEvent(kind: String = "request", method: String?, id: JSONRPCID?, decision: String) -> AuditEvent {
        var event = AuditEvent(
            id: UUID.random(), timeMicroseconds: AuditEvent.microseconds(of: Date()), accountID: caller.grant.accountID,
            kind: kind, decision: decision, seq: 0)
        event.identityID = caller.identity.id
        event.identityLabel = caller.identity.label
        event.grantID = caller.grant.id
        event.serverID = caller.server.id
        event.sessionDigest = sessionDigest
        event.protocolVersion = protocolVersion
        event.method = method
        event.jsonrpcID = id?.jsonValue
        event.policyID = caller.grant.policyID
        event.policyVersion = caller.policy?.version
        event.snapshotVersion = snapshot.version
        event.authMethod = caller.method.auditName
        event.authClientID = caller.method.clientID
        event.gatewayLatencyMs = Double((ContinuousClock.now - started).nanoseconds) / 1_000_000
        return event
    }
}
