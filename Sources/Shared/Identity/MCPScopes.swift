/// The OAuth scopes of an MCP server behind the gateway (issue 14, identity contract): `mcp:read`
/// covers what only looks (initialize, ping, notifications, every `*/list`, `resources/read`,
/// `prompts/get`), `mcp:call` everything else, `tools/call` first of all. A grant token holds both.
public struct MCPScopes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let read = MCPScopes(rawValue: 1 << 0)
    public static let call = MCPScopes(rawValue: 1 << 1)
    public static let all: MCPScopes = [.read, .call]

    public static let readName = "mcp:read"
    public static let callName = "mcp:call"
    /// `scopes_supported` of the metadata documents, and the `scope` of every challenge.
    public static let supportedNames = [readName, callName]

    /// The scopes of a space-separated `scope` claim (RFC 6749 §3.3); names it does not know are ignored.
    public init(claim: String) {
        var scopes: MCPScopes = []
        for name in claim.split(separator: " ") {
            if name == Self.readName { scopes.insert(.read) }
            if name == Self.callName { scopes.insert(.call) }
        }
        self = scopes
    }

    /// The scope a JSON-RPC method needs. Responses (the client answering a server's request, such
    /// as a sampling or elicitation result) and notifications only carry the conversation on.
    public static func required(forMethod method: String) -> MCPScopes {
        switch method {
        case "initialize", "ping", "resources/read", "prompts/get", "response": .read
        case _ where method.hasPrefix("notifications/") || method.hasSuffix("/list"): .read
        default: .call
        }
    }

    /// The names of these scopes, space-separated, in `supportedNames` order.
    public var claim: String {
        [(MCPScopes.read, Self.readName), (.call, Self.callName)].filter { contains($0.0) }.map(\.1).joined(separator: " ")
    }
}
