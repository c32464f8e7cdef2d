import JSON

/// Everything the engine may look at when deciding a `tools/call`.
public struct PolicyCall: Sendable {
    public var tool: String
    /// The call's `arguments` object; `.null` when the request had none.
    public var arguments: JSONValue
    public var identityLabel: String
    /// The identity's metadata object (`identity.metadata.x`).
    public var identityMetadata: JSONValue
    /// The MCP session, when the protocol era has one (`session.id`, session-scoped counters).
    public var sessionID: String?
    /// The catalog's class for this tool; nil when the catalog does not know it.
    public var riskClass: RiskClass?
    /// False when the live definition's hash is not the approved one (design.md §5.7).
    public var definitionApproved: Bool
    public var owner: CounterOwner
    /// The catalog's `inputSchema` for this tool, for `validate_arguments`; nil when unknown.
    public var inputSchema: ArgumentSchema?

    public init(tool: String, arguments: JSONValue = .null, identityLabel: String = "",
                identityMetadata: JSONValue = .null, sessionID: String? = nil,
                riskClass: RiskClass? = nil, definitionApproved: Bool = true, owner: CounterOwner,
                inputSchema: ArgumentSchema? = nil) {
        self.tool = tool
        self.arguments = arguments
        self.identityLabel = identityLabel
        self.identityMetadata = identityMetadata
        self.sessionID = sessionID
        self.riskClass = riskClass
        self.definitionApproved = definitionApproved
        self.owner = owner
        self.inputSchema = inputSchema
    }
}
