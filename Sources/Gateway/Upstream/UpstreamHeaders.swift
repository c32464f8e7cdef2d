import HTTPTypes
import NIOHTTP1
import Shared

/// Header hygiene between agent and upstream (SPEC 5.4). Requests carry an allowlist only, so the
/// client's `Authorization`, `Cookie` and `Portcullis-*` headers, and anything else, never reach the
/// upstream; the server's own credentials are injected instead. Responses lose `Set-Cookie` and
/// hop-by-hop headers, and the upstream's session id is replaced by the gateway's sealed one.
enum UpstreamHeaders {
    /// What an agent's request may pass on, by lowercase name.
    static let forwardedFromClient: Set<String> = [
        "accept", "content-type", "mcp-protocol-version", "last-event-id", "traceparent", "tracestate",
        "mcp-method", "mcp-name",
    ]

    /// Hop-by-hop headers (RFC 9110 section 7.6.1) and ones the server recomputes itself.
    static let droppedFromUpstream: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "content-length", "set-cookie", "mcp-session-id",
    ]

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
        for (name, value) in upstream where !droppedFromUpstream.contains(name.lowercased()) {
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        if let sealedSessionID, let name = HTTPField.Name("Mcp-Session-Id") { fields[name] = sealedSessionID }
        if fields[.contentType]?.lowercased().hasPrefix("text/event-stream") == true {
            // Streamed answers must not wait in a proxy's buffer or a cache.
            if let accel = HTTPField.Name("X-Accel-Buffering") { fields[accel] = "no" }
            fields[.cacheControl] = "no-cache"
        }
        return fields
    }
}
