import HTTPTypes
import NIOHTTP1
import Shared
import Testing

@testable import Gateway

/// Issue 10 item 8: a hostile upstream's response headers never reach the agent's client.
struct AdversarialUpstreamHeadersTests {
    static let hostile: [(String, String)] = [
        ("Location", "https://evil.example/phish"), ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Credentials", "true"), ("Clear-Site-Data", "\"*\""),
        ("WWW-Authenticate", #"Bearer realm="evil", resource_metadata="https://evil.example/.well-known""#),
        ("Set-Cookie", "tracker=1"), ("Refresh", "0; url=https://evil.example"), ("Link", "<https://evil.example>; rel=preload"),
        ("Strict-Transport-Security", "max-age=0"), ("Content-Security-Policy", "default-src *"), ("X-Upstream-Secret", "internal"),
        ("Content-Length", "1"), ("Transfer-Encoding", "chunked"), ("Mcp-Session-Id", "upstream-session"),
    ]

    @Test func onlyAllowlistedUpstreamHeadersReachTheAgent() {
        var upstream = HTTPHeaders()
        upstream.add(name: "Content-Type", value: "application/json")
        upstream.add(name: "Cache-Control", value: "no-store")
        upstream.add(name: "MCP-Protocol-Version", value: "2025-11-25")
        for (name, value) in Self.hostile { upstream.add(name: name, value: value) }
        let fields = UpstreamHeaders.response(from: upstream, sealedSessionID: "sealed")
        let names = Set(fields.map { $0.name.canonicalName })
        #expect(names == ["content-type", "cache-control", "mcp-protocol-version", "mcp-session-id", "x-content-type-options"])
        #expect(fields[HTTPField.Name("Mcp-Session-Id")!] == "sealed")
        #expect(fields[.contentType] == "application/json")
        #expect(fields[.xContentTypeOptions] == "nosniff")
    }

    @Test func anUpstreamCannotHaveABrowserRenderItsHTML() {
        var upstream = HTTPHeaders()
        upstream.add(name: "Content-Type", value: "text/html")
        #expect(UpstreamHeaders.response(from: upstream, sealedSessionID: nil)[.contentType] == "text/plain; charset=utf-8")
    }
}
