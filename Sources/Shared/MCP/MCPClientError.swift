/// Why talking to an upstream MCP server failed, phrased for the admin who registered it (the
/// text is stored as the server's `status_detail`). Never includes credentials or whole bodies.
public struct MCPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No connection (refused, DNS, TLS) or the connection broke.
        case unreachable
        /// The exchange took longer than `requestTimeout`.
        case timeout
        /// An HTTP status other than the expected one; redirects land here, never followed.
        case httpStatus(Int)
        /// The server answered with a JSON-RPC error.
        case jsonRPCError(JSONRPCErrorObject)
        /// Not JSON, not JSON-RPC, wrong id, wrong content type, missing fields.
        case malformedAnswer
        /// The body exceeded `maxResponseBytes` (or one SSE event its limit).
        case tooLarge
        /// The server speaks none of `MCPClientConfiguration.supportedProtocolVersions`.
        case unsupportedProtocolVersion(String)
    }

    public let kind: Kind
    /// The MCP method being called (`initialize`, `tools/list`), for context.
    public let method: String
    public let detail: String

    public init(_ kind: Kind, method: String, _ detail: String) {
        self.kind = kind
        self.method = method
        self.detail = detail
    }

    public var description: String { "\(method): \(detail)" }
}
