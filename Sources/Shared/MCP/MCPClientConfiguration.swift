/// Limits and identity for Portcullis's own MCP client (discovery).
public struct MCPClientConfiguration: Sendable {
    /// The versions this client speaks, newest first; `initialize` offers the first and accepts
    /// any of them in the answer (design.md §5.2).
    public static let supportedProtocolVersions = ["2025-11-25", "2025-06-18", "2025-03-26"]

    /// TCP and TLS connection set-up (design.md §5.4 default 5 s).
    public var connectTimeout: Duration
    /// One JSON-RPC exchange, from sending the request to the end of its answer, SSE included.
    public var requestTimeout: Duration
    /// One answer's body; a bigger one is an error, never buffered (SSE events are bounded too).
    public var maxResponseBytes: Int
    /// `tools/list` pages followed before giving up on a server that never stops paginating.
    public var maxToolPages: Int
    public var clientName: String
    public var clientVersion: String

    public init(
        connectTimeout: Duration = .seconds(5),
        requestTimeout: Duration = .seconds(30),
        maxResponseBytes: Int = 8 << 20,
        maxToolPages: Int = 100,
        clientName: String = "portcullis",
        clientVersion: String = "1"
    ) {
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxResponseBytes = maxResponseBytes
        self.maxToolPages = maxToolPages
        self.clientName = clientName
        self.clientVersion = clientVersion
    }
}
