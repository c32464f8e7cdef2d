/// Which header names static upstream auth (`{"type": "headers"}`) may set. Refused at
/// registration with a pointer, and skipped by `apply(to:)` so a row stored before the rule (or
/// written around the API) still cannot send them (issue 10 item 9).
extension UpstreamAuth {
    /// Headers the gateway sets itself (design.md §5.4), or that frame the HTTP exchange.
    static let setByTheGateway: Set<String> = [
        "host", "content-length", "content-type", "expect", "accept", "user-agent", "cookie",
        "mcp-session-id", "mcp-protocol-version", "mcp-method", "mcp-name", "last-event-id",
    ]

    /// Hop-by-hop headers (RFC 9110 section 7.6.1): they steer the connection or a proxy, not the
    /// upstream server; `Transfer-Encoding` next to the gateway's `Content-Length` is request smuggling.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    /// What cloud metadata services require to prove a request was not forwarded from outside:
    /// a server that may set them turns any reachable metadata endpoint into a credential source.
    static let cloudMetadata: Set<String> = [
        "metadata-flavor", "x-google-metadata-request", "x-aws-ec2-metadata-token", "x-aws-ec2-metadata-token-ttl-seconds",
        "metadata", "x-identity-header", "x-ibm-metadata-token",
    ]

    /// Why `name` cannot be a static auth header, or nil when it can.
    public static func refusalReason(forHeaderName name: String) -> String? {
        let lowercased = name.lowercased()
        if setByTheGateway.contains(lowercased) { return "is set by the gateway and cannot be configured" }
        if hopByHop.contains(lowercased) { return "is a hop-by-hop header and cannot be configured" }
        if cloudMetadata.contains(lowercased) { return "is a cloud metadata header and cannot be configured" }
        return nil
    }
}
