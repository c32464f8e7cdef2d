import AsyncHTTPClient
import Foundation
import Shared
import TestSupport
import Testing

@testable import Gateway
import JSON

/// Issue 10 items 7 and 8 with real processes: a malicious upstream cannot slip a tool past the
/// grant's filter, an event past the strict parser, or a header past the allowlist.
@Suite(.timeLimit(.minutes(3)))
struct AdversarialUpstreamTests {
    static let hidingStopPod: JSONValue = ["version": "1", "default": "allow", "pin": "off", "hide": ["stop-pod"]]

    static func listRequest(_ id: Int) -> JSONValue { ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": "tools/list"] }

    /// The tool names of every tool list in the answer, whatever id it carries.
    static func listedNames(_ messages: [JSONValue]) -> [String] {
        messages.flatMap { $0["result"]?["tools"]?.arrayValue ?? [] }.compactMap { $0["name"]?.stringValue }
    }

    @Test func aToolListIsFilteredWhateverShapeItArrivesIn() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(getStream: true))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.hidingStopPod)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            let shapes = [
                FakeMCPUpstream.Hostility(listIDAsString: true), .init(listStatus: 203), .init(listIDAsString: true, listStatus: 206),
            ]
            for mode in [FakeMCPUpstream.Mode.json, .sse] {
                upstream.setMode(mode)
                for shape in shapes {
                    upstream.setHostility(shape)
                    let answer = try await worker.post(Self.listRequest(2), grant: grant)
                    let names = Self.listedNames(answer.messages)
                    #expect(names.contains("echo"), "\(mode) \(shape.listIDAsString) \(shape.listStatus): \(answer.text)")
                    #expect(!names.contains("stop-pod"), "\(mode) \(shape.listIDAsString) \(shape.listStatus)")
                }
            }

            // A tool list on the GET stream (as replayed after Last-Event-ID) is filtered as well.
            upstream.setHostility(.init(listOnGetStream: true))
            var request = HTTPClientRequest(url: worker.server.baseURL + "/mcp/\(grant.serverID.uuidString.lowercased())")
            request.headers.add(name: "Authorization", value: "Bearer \(grant.token)")
            request.headers.add(name: "Accept", value: "text/event-stream")
            request.headers.add(name: "Last-Event-ID", value: "1")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 200)
            var parser = ServerSentEventParser()
            var messages: [JSONValue] = []
            for try await chunk in response.body {
                messages += try parser.feed(chunk.readableBytesView).compactMap { try? JSONParser().parse($0.data) }
                if messages.count >= 2 { break }
            }
            let streamed = Self.listedNames(messages)
            #expect(streamed.contains("echo"))
            #expect(!streamed.contains("stop-pod"))
        }
    }

    /// Issue 10 item 26 moved answers over 64 KiB to the rewrite pool: they are filtered all the same.
    @Test func aToolListTooLargeToRewriteInlineIsFilteredAllTheSame() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.hidingStopPod)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            let filler = (0..<200).map { FakeMCPUpstream.tool("filler-\($0)", description: String(repeating: "x", count: 1024)) }
            upstream.setTools([FakeMCPUpstream.tool("echo"), FakeMCPUpstream.tool("stop-pod")] + filler)
            for mode in [FakeMCPUpstream.Mode.json, .sse] {
                upstream.setMode(mode)
                let answer = try await worker.post(Self.listRequest(2), grant: grant)
                #expect(answer.body.count > AnswerRewritePool.defaultInlineBytes, "\(mode)")
                let names = Self.listedNames(answer.messages)
                #expect(names.contains("echo") && names.contains("filler-199"), "\(mode): \(answer.text.prefix(300))")
                #expect(!names.contains("stop-pod"), "\(mode)")
            }
        }
    }

    @Test func anEventTheStrictParserRefusesCutsTheStreamAndPinnedToolsStayBlockedUntilAListIsRead() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(mode: .sse))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: ["version": "1", "default": "allow", "pin": "block"])
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)
            #expect(try await worker.post(toolCall(1, "echo"), grant: grant).response(id: 1)?["result"]?["isError"] == false)

            upstream.setHostility(.init(garbledEventFirst: true))
            let cut = try await worker.post(Self.listRequest(2), grant: grant)
            #expect(!cut.text.contains(#""name":"stop-pod""#), "the refused event never reaches the agent: \(cut.text)")
            #expect(cut.response(id: 2)?["error"]?["code"] == -32603)
            #expect(cut.response(id: 2)?["error"]?["message"]?.stringValue?.contains("answer cut off") == true)

            // The live definitions are unknown now: pin: block does not fall back on the approved hash.
            let blocked = try await worker.post(toolCall(3, "echo"), grant: grant)
            #expect(blocked.response(id: 3)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "pin_blocked")
            #expect(upstream.callCount(tool: "echo") == 1)

            upstream.setHostility(.init())
            #expect(Self.listedNames(try await worker.post(Self.listRequest(4), grant: grant).messages).contains("echo"))
            #expect(try await worker.post(toolCall(5, "echo"), grant: grant).response(id: 5)?["result"]?["isError"] == false)
        }
    }

    @Test func afterAFailedDiscoveryPinBlockDoesNotTrustTheCatalogsApprovedHash() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: ["version": "1", "default": "allow", "pin": "block"])
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)
            let server = "/v1/servers/\(grant.serverID.uuidString.lowercased())"
            func decision(_ id: Int) async throws -> JSONValue? {
                try await worker.post(toolCall(id, "echo"), grant: grant).response(id: id)
            }
            #expect(try await decision(1)?["result"]?["isError"] == false)

            // The upstream now refuses to list its tools: the catalog may no longer be what it runs.
            upstream.setHostility(.init(listStatus: 500))
            _ = try await harness.admin(.POST, "\(server)/discover", [:])
            var id = 1
            #expect(try await eventually(within: .seconds(10)) {
                id += 1
                return (try? await decision(id))?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "pin_blocked"
            })

            upstream.setHostility(.init())
            _ = try await harness.admin(.POST, "\(server)/discover", [:])
            #expect(try await eventually(within: .seconds(10)) {
                id += 1
                return (try? await decision(id))?["result"]?["isError"] == false
            })
        }
    }

    @Test func hostileUpstreamHeadersNeverReachTheAgent() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(getStream: true))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.hidingStopPod)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)
            let hostile = ["Location", "Access-Control-Allow-Origin", "Clear-Site-Data", "WWW-Authenticate", "Refresh", "X-Internal-Host"]
            upstream.setHostility(.init(headers: hostile.map { (name: $0, value: "https://evil.example") }))
            for mode in [FakeMCPUpstream.Mode.json, .sse] {
                upstream.setMode(mode)
                for message in [toolCall(1, "echo"), Self.listRequest(2), ["jsonrpc": "2.0", "method": "notifications/initialized"]] {
                    let answer = try await worker.post(message, grant: grant)
                    #expect(answer.status < 300)
                    for name in hostile { #expect(answer.headers.first(name: name) == nil, "\(name) on \(mode) \(message.serialized())") }
                }
            }
        }
    }
}
