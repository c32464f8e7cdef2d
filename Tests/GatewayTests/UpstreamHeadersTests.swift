import HTTPTypes
import NIOHTTP1
import Shared
import Testing

@testable import Gateway

/// design.md §5.4: what crosses the gateway in each direction.
struct UpstreamHeadersTests {
    static func field(_ name: String) -> HTTPField.Name { HTTPField.Name(name)! }

    @Test func theClientsCredentialsNeverReachTheUpstreamButTheServersDo() {
        var client = HTTPFields()
        client[.authorization] = "Bearer pcs_gt_client-secret"
        client[.cookie] = "session=abc"
        client[Self.field("Portcullis-Debug")] = "1"
        client[Self.field("X-Forwarded-For")] = "10.0.0.1"
        client[.accept] = "application/json, text/event-stream"
        client[.contentType] = "application/json"
        client[Self.field("MCP-Protocol-Version")] = "2025-11-25"
        client[Self.field("Last-Event-ID")] = "42"
        client[Self.field("traceparent")] = "00-abc-def-01"
        client[.userAgent] = "claude-code/1.0"
        let headers = UpstreamHeaders.request(from: client, auth: .bearer(token: "upstream-token"), upstreamSessionID: "up-123")
        #expect(headers["Authorization"] == ["Bearer upstream-token"])
        #expect(headers["Cookie"].isEmpty)
        #expect(headers["Portcullis-Debug"].isEmpty)
        #expect(headers["X-Forwarded-For"].isEmpty)
        #expect(headers["Accept"] == ["application/json, text/event-stream"])
        #expect(headers["MCP-Protocol-Version"] == ["2025-11-25"])
        #expect(headers["Last-Event-ID"] == ["42"])
        #expect(headers["traceparent"] == ["00-abc-def-01"])
        #expect(headers["Mcp-Session-Id"] == ["up-123"])
        #expect(headers["User-Agent"] == ["claude-code/1.0 portcullis-gateway"])
    }

    @Test func withoutUpstreamAuthNoAuthorizationIsSentAtAll() {
        var client = HTTPFields()
        client[.authorization] = "Bearer pcs_gt_client-secret"
        let headers = UpstreamHeaders.request(from: client, auth: .none, upstreamSessionID: nil)
        #expect(headers["Authorization"].isEmpty)
        #expect(headers["Mcp-Session-Id"].isEmpty)
        let custom = UpstreamHeaders.request(from: client, auth: .headers([(name: "X-Api-Key", value: "k")]), upstreamSessionID: nil)
        #expect(custom["X-Api-Key"] == ["k"])
        #expect(custom["Authorization"].isEmpty)
    }

    @Test func responsesLoseCookiesAndHopByHopHeadersAndCarryTheSealedSession() {
        var upstream = HTTPHeaders()
        upstream.add(name: "Content-Type", value: "text/event-stream")
        upstream.add(name: "Set-Cookie", value: "tracker=1")
        upstream.add(name: "Connection", value: "keep-alive")
        upstream.add(name: "Transfer-Encoding", value: "chunked")
        upstream.add(name: "Mcp-Session-Id", value: "upstream-session")
        let fields = UpstreamHeaders.response(from: upstream, sealedSessionID: "sealed-session")
        #expect(fields[.setCookie] == nil)
        #expect(fields[.connection] == nil)
        #expect(fields[.transferEncoding] == nil)
        #expect(fields[Self.field("Mcp-Session-Id")] == "sealed-session")
        #expect(fields[Self.field("X-Accel-Buffering")] == "no")
        #expect(fields[.cacheControl] == "no-cache")
        var json = HTTPHeaders()
        json.add(name: "Content-Type", value: "application/json")
        #expect(UpstreamHeaders.response(from: json, sealedSessionID: nil)[Self.field("X-Accel-Buffering")] == nil)
    }
}
