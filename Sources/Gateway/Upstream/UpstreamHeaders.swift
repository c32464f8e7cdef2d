import HTTPTypes
import NIOHTTP1
import Shared

/// Header hygiene between agent and upstream (design.md §5.4). Requests carry an allowlist only, so the
/// client's `Authorization`, `Cookie` and `Portcullis-*` headers, and anything else, never reach the
/// upstream; the server's own credentials are injected instead. Responses carry an allowlist too,
/// and the upstream's session id is replaced by the gateway's sealed one.
enum UpstreamHeaders {
    /// What an agent's request may pass on, by lowercase name.
    static let forwardedFromClient: Set<String> = [
        "accept", "content-type", "mcp-protocol-version", "last-event-id", "traceparent", "tracestate",
        "mcp-method", "mcp-name",
    ]

    /// What an upstream's response may pass on to the agent, by lowercase name (issue 10 item 8):
    /// an allowlist, so `Location`, `Access-Control-*`, `Clear-Site-Data`, `WWW-Authenticate`,
    /// `Set-Cookie`, `Refresh`, `Link` and anything new never reach an agent's client or browser
    /// from a hostile upstream. `Mcp-Session-Id` is not on it: the gateway sets its sealed one.
    static let passedFromUpstream: Set<String> = ["content-type", "cache-control", "retry-after", "mcp-protocol-version"]

    /// The content types an MCP answer has; any other is relabelled plain text, so an upstream
    /// cannot have a browser render its HTML on the gateway's origin.
    static let relayedContentTypes = ["application/json", "text/event-stream"]

    static let userAgentSuffix = "portcullis-gateway"

    /// The headers of the request sent upstream.
    static func request(from client: HTTPFields, auth: UpstreamAuth, upstreamSessionID: String?) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for field in client where forwardedFromClient.contains(field.name.canonicalName) {
            headers.add(name: field.name.rawName, value: field.value)
        }
        let agent = client[.userAgent].map { "\($0) \(userAgentSuffix)" } ?? userAgentSuffix
        headers.replaceOrAdd(name: "User-Agent", value: agent)
        if let upstreamSessionID { headers.replaceOrAdd(name: "Mcp-Session-Id", value: upstreamSessionID) }
        auth.apply(to: &headers)
        return headers
    }

    /// The headers of the response sent back to the agent.
    static func response(from upstream: HTTPHeaders, sealedSessionID: String?) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in upstream where passedFromUpstream.contains(name.lowercased()) {
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        if let type = fields[.contentType], !relayedContentTypes.contains(where: { type.lowercased().hasPrefix($0) }) {
            fields[.contentType] = "text/plain; charset=utf-8"
        }
        fields[.xContentTypeOptions] = "nosniff"
        if let sealedSessionID { fields[MCPExchange.sessionIDHeader] = sealedSessionID }
        if fields[.contentType]?.lowercased().hasPrefix(GatewayAnswers.sseContentType) == true {
            // Streamed answers must not wait in a proxy's buffer or a cache.
            if let accel = HTTPField.Name("X-Accel-Buffering") { fields[accel] = "no" }
            fields[.cacheControl] = "no-cache"
        }
        return fields
    }
}
