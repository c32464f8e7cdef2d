import Foundation
import JSON
import PolicyEngine
import Shared

/// A `tools/call` as the decision sees it: the request, the engine's input, and what its audit
/// rows record about the tool and the arguments.
struct ToolCall: Sendable {
    let request: JSONRPCRequest
    let policyCall: PolicyCall
    /// The definition the call runs against: the live one seen in `tools/list`, else the catalog's.
    let definitionHash: String?
    let bytesIn: Int
    /// Neither the catalog nor any `tools/list` answer seen by this worker has this tool.
    let isUnknown: Bool
    /// HMAC of the tool and canonical arguments: the audit rows' `arguments_hmac` and the approval
    /// match key alike, computed once.
    let argumentsHMAC: [UInt8]
    /// The arguments as the policy's `audit.arguments` lets audit rows see them (approvers see them
    /// `redacted` whatever the mode: `ApprovalHold.lookUpOrRequest`).
    let auditedArguments: AuditedArguments

    var name: String { policyCall.tool }

    /// Nil when the request names no tool: it is answered -32602 without a decision.
    init?(
        _ request: JSONRPCRequest, bytesIn: Int, exchange: MCPExchange, liveDefinitions: LiveToolDefinitions,
        fingerprint: ApprovalFingerprint
    ) {
        guard let name = request.params?["name"]?.stringValue else { return nil }
        let server = exchange.caller.server.id
        let key = EnforcementSnapshot.ToolKey(serverID: server, name: name)
        let catalog = exchange.snapshot.toolsByKey[key]
        self.request = request
        self.bytesIn = bytesIn
        definitionHash = liveDefinitions.hash(of: key) ?? catalog?.definitionHash
        isUnknown = definitionHash == nil
        policyCall = PolicyCall(
            tool: name,
            arguments: request.params?["arguments"] ?? .null,
            identityLabel: exchange.caller.identity.label,
            identityMetadata: exchange.snapshot.identityMetadata[exchange.caller.identity.id] ?? .null,
            sessionID: exchange.sessionDigest?.lowercaseHex,
            riskClass: catalog.flatMap { RiskClass(rawValue: $0.riskClass) },
            definitionApproved: liveDefinitions.isApproved(key, catalog: catalog, server: exchange.caller.server),
            owner: exchange.caller.counterOwner,
            inputSchema: exchange.snapshot.argumentSchemas[key])
        argumentsHMAC = fingerprint.hash(tool: name, arguments: policyCall.arguments)
        auditedArguments = AuditedArguments(policyCall.arguments, mode: exchange.caller.policy?.compiled.auditArguments ?? .keys)
    }

    /// MCP 2026-07-28 results carry `resultType`; the SDK's 2.x client refuses a result without it.
    /// The era is named by the `MCP-Protocol-Version` header or, stateless, in the request's `_meta`.
    func denialResult(_ denial: PolicyDenial, protocolVersion: String?) -> JSONValue {
        let era = IncomingMessage.routingHeadersProtocolVersion
        let speaksEra = protocolVersion == era
            || request.params?["_meta"]?.objectValue?.members.contains { $0.value == .string(era) } == true
        guard speaksEra, case .object(var result) = denial.toolResult() else { return denial.toolResult() }
        result["resultType"] = "complete"
        return .object(result)
    }

    /// `params._meta.progressToken`: a held call reports progress to it while it waits (design.md §5.6).
    var progressToken: JSONValue? {
        request.params?["_meta"]?["progressToken"]
    }

    /// This call's audit row (design.md §7): the tool, its definition, the argument names, the HMAC of
    /// the canonical arguments, and the values only as far as the policy's `audit.arguments` allows.
    func auditEvent(_ exchange: MCPExchange, kind: String = "request", decision: String) -> AuditEvent {
        var event = exchange.auditEvent(kind: kind, method: request.method, id: request.id, decision: decision)
        event.tool = name
        event.toolDefinitionHash = definitionHash
        event.argumentKeys = auditedArguments.keys
        event.arguments = auditedArguments.values
        event.argumentsHMAC = argumentsHMAC
        event.bytesIn = Int64(bytesIn)
        return event
    }
}
