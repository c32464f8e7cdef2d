import JSON

/// What discovery found on an upstream (design.md §5.7).
public struct DiscoveredTools: Sendable, Equatable {
    /// The protocol version the server chose in `initialize`.
    public let protocolVersion: String
    /// `serverInfo` as the server sent it (name, version, maybe title).
    public let serverInfo: JSONValue?
    /// Every tool of every `tools/list` page, in the server's order.
    public let tools: [DiscoveredTool]
}

public struct DiscoveredTool: Sendable, Equatable {
    public let name: String
    /// The hashed fields only (name, title, description, inputSchema, outputSchema, annotations):
    /// what the catalog stores, pins and diffs.
    public let definition: JSONValue

    public init(name: String, definition: JSONValue) {
        self.name = name
        self.definition = definition
    }

    public var definitionHash: ToolDefinitionHash { ToolDefinitionHash(definition: definition) }
}
