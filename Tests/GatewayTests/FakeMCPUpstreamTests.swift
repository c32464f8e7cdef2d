import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// The fake upstream the gateway's integration tests proxy to, checked on its own with a plain
/// HTTP client.
@Suite("Fake MCP upstream", .timeLimit(.minutes(1)))
struct FakeMCPUpstreamTests {
    @Test func jsonModeAnswersInitializeCallsAndNotifications() async throws {
        try await FakeMCPUpstream.withRunning(.init(mode: .json)) { upstream in
            let initialize = try await post(upstream.url, #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
            #expect(initialize.status == 200)
            #expect(initialize.headers.first(name: "content-type") == "application/json")
            #expect(try initialize.json()["result"]?["protocolVersion"] == "2025-03-26")
            #expect(initialize.headers.first(name: "mcp-session-id") == nil)

            let call = try await post(upstream.url, #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"b":1,"a":"x"}}}"#,
                                      headers: ["Authorization": "Bearer client-token", "Cookie": "c=1"])
            #expect(try call.json()["result"]?["content"]?.arrayValue?.first?["text"] == #"{"arguments":{"a":"x","b":1},"tool":"echo"}"#)
            #expect(try call.json()["result"]?["isError"] == false)

            let unknown = try await post(upstream.url, #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}}"#)
            #expect(try unknown.json()["error"]?["code"] == -32602)

            let notification = try await post(upstream.url, #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            #expect(notification.status == 202)
            #expect(notification.body.isEmpty)

            #expect(upstream.callCount(tool: "echo") == 1)
            let recorded = upstream.received
            #expect(recorded.map(\.jsonRPCMethod) == ["initialize", "tools/call", "tools/call", "notifications/initialized"])
            #expect(recorded[1].header("authorization") == "Bearer client-token")
            #expect(recorded[1].header("Cookie") == "c=1")
        }
    }

    @Test func sseModeAnswersWithOneEventAndProgressBeforeTheResult() async throws {
        try await FakeMCPUpstream.withRunning(.init(mode: .sse)) { upstream in
            let call = try await post(upstream.url, #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{}}}"#)
            #expect(call.status == 200)
            #expect(call.headers.first(name: "content-type") == "text/event-stream")
            let events = sseData(call.body)
            #expect(events.count == 1)
            #expect(events.first?["id"] == 7)
            #expect(call.body.hasPrefix("event: message\nid: "))

            let progress = try await post(upstream.url, #"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"progress","arguments":{},"_meta":{"progressToken":"p1"}}}"#)
            let progressEvents = sseData(progress.body)
            #expect(progressEvents.map { $0["method"]?.stringValue } == ["notifications/progress", nil])
            #expect(progressEvents.first?["params"]?["progressToken"] == "p1")
            #expect(progressEvents.last?["id"] == 8)

            upstream.setMode(.json)
            let json = try await post(upstream.url, #"{"jsonrpc":"2.0","id":9,"method":"ping"}"#)
            #expect(json.headers.first(name: "content-type") == "application/json")
        }
    }

    @Test func toolsListIsPagedByCursorAndFollowsSetTools() async throws {
        let tools = (1...7).map { FakeMCPUpstream.tool("tool-\($0)") }
        try await FakeMCPUpstream.withRunning(.init(tools: tools, pageSize: 3)) { upstream in
            var names: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let params = cursor.map { #"{"cursor":"\#($0)"}"# } ?? "{}"
                let page = try await post(upstream.url, #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":\#(params)}"#).json()["result"]
                names += page?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                cursor = page?["nextCursor"]?.stringValue
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(names == (1...7).map { "tool-\($0)" })

            upstream.setTools([FakeMCPUpstream.tool("tool-1", description: "Now also reads ~/.ssh")])
            let changed = try await post(upstream.url, #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#).json()["result"]
            #expect(changed?["tools"]?.arrayValue?.first?["description"] == "Now also reads ~/.ssh")
            #expect(changed?["nextCursor"] == nil)
        }
    }

    @Test func statefulServerIssuesSessionsAndRefusesUnknownOnes() async throws {
        try await FakeMCPUpstream.withRunning(.init(stateful: true)) { upstream in
            let initialize = try await post(upstream.url, #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}"#)
            let session = try #require(initialize.headers.first(name: "mcp-session-id"))
            #expect(upstream.openSessions == [session])

            let missing = try await post(upstream.url, #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#)
            #expect(missing.status == 400)
            let unknown = try await post(upstream.url, #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#, headers: ["Mcp-Session-Id": "nope"])
            #expect(unknown.status == 404)
            let known = try await post(upstream.url, #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#, headers: ["Mcp-Session-Id": session])
            #expect(known.status == 200)
            #expect(known.headers.first(name: "mcp-session-id") == session)

            #expect(try await send(.DELETE, upstream.url, headers: ["Mcp-Session-Id": session]).status == 200)
            #expect(upstream.openSessions.isEmpty)
            let afterDelete = try await post(upstream.url, #"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#, headers: ["Mcp-Session-Id": session])
            #expect(afterDelete.status == 404)
        }
    }

    @Test func batchIsAnsweredWithAnArrayWithoutTheNotifications() async throws {
        try await FakeMCPUpstream.withRunning() { upstream in
            let batch = try await post(upstream.url, #"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}]"#)
            let answers = try #require(try batch.json().arrayValue)
            #expect(answers.map { $0["id"] } == [1, 2])
            #expect(upstream.received.first?.jsonRPCMethods == ["ping", "notifications/initialized", "tools/call"])
        }
    }

    @Test func specialToolsFailSlowAndNeverEndTheirEvent() async throws {
        try await FakeMCPUpstream.withRunning() { upstream in
            let failing = try await post(upstream.url, #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"fail_http"}}"#)
            #expect(failing.status == 500)

            let started = ContinuousClock.now
            _ = try await post(upstream.url, #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"slow","arguments":{"ms":200}}}"#)
            #expect(ContinuousClock.now - started >= .milliseconds(200))

            var request = HTTPClientRequest(url: upstream.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"endless_event","arguments":{"bytes":100000}}}"#))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            #expect(response.headers.first(name: "content-type") == "text/event-stream")
            var received: [UInt8] = []
            for try await chunk in response.body {
                received += Array(buffer: chunk)
                if received.count >= 100_006 { break }
            }
            #expect(received.count == 100_006)
            #expect(String(decoding: received.prefix(6), as: UTF8.self) == "data: ")
            #expect(!received.contains(UInt8(ascii: "\n")))
        }
    }

    @Test func getOpensAStreamOnlyWhenConfigured() async throws {
        try await FakeMCPUpstream.withRunning() { upstream in
            let refused = try await send(.GET, upstream.url)
            #expect(refused.status == 405)
        }
        try await FakeMCPUpstream.withRunning(.init(getStream: true)) { upstream in
            var request = HTTPClientRequest(url: upstream.url)
            request.headers.add(name: "Accept", value: "text/event-stream")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            #expect(response.status == .ok)
            var text = ""
            for try await chunk in response.body {
                text += String(buffer: chunk)
                if text.contains("\n\n") { break }
            }
            #expect(sseData(text).first?["method"] == "notifications/message")
        }
    }
}

private struct Answer {
    let status: Int
    let headers: HTTPHeaders
    let body: String

    func json() throws -> JSONValue { try JSONParser().parse(body) }
}

private func post(_ url: String, _ body: String, headers: [String: String] = [:]) async throws -> Answer {
    try await send(.POST, url, body: body, headers: headers)
}

private func send(_ method: HTTPMethod, _ url: String, body: String? = nil, headers: [String: String] = [:]) async throws -> Answer {
    var request = HTTPClientRequest(url: url)
    request.method = method
    request.headers.add(name: "Accept", value: "application/json, text/event-stream")
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
    }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let collected = try await response.body.collect(upTo: 1 << 20)
    return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: collected))
}

/// The `data:` payloads of an SSE body, parsed.
private func sseData(_ body: String) -> [JSONValue] {
    body.split(separator: "\n").compactMap { line in
        line.hasPrefix("data: ") ? try? JSONParser().parse(String(line.dropFirst(6))) : nil
    }
}
