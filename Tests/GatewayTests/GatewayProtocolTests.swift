import AsyncHTTPClient
import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// The transport as design.md §5.2 describes it: sessions any worker can serve, batches, GET streams.
/// Bad input (design.md §5.9) is in Adversarial/AdversarialBadInputTests.
@Suite(.timeLimit(.minutes(3)))
struct GatewayProtocolTests {
    static let allowAll: JSONValue = ["version": "1", "default": "allow", "pin": "off"]

    @Test func aSessionOpenedOnOneWorkerContinuesOnAnother() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(mode: .sse, stateful: true))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.allowAll)
            let workers = [try await harness.startWorker(), try await harness.startWorker()]
            defer { for worker in workers { Task { try? await worker.stop() } } }
            for worker in workers { try await worker.waitForGrant(grant) }

            let opened = try await workers[0].post(initialize(1), grant: grant)
            #expect(opened.status == 200)
            #expect(opened.response(id: 1)?["result"]?["protocolVersion"] == "2025-06-18")
            let session = try #require(opened.sessionID)
            let upstreamSession = try #require(upstream.openSessions.first)
            #expect(session != upstreamSession)

            let initialized = try await workers[1].post(["jsonrpc": "2.0", "method": "notifications/initialized"], grant: grant, session: session,
                                                        headers: [("MCP-Protocol-Version", "2025-06-18")])
            #expect(initialized.status == 202)
            let call = try await workers[1].post(toolCall(2, "echo", ["text": "hi"]), grant: grant, session: session,
                                                 headers: [("MCP-Protocol-Version", "2025-06-18")])
            #expect(call.status == 200)
            #expect(call.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
            #expect(call.headers.first(name: "x-accel-buffering") == "no")
            #expect(call.response(id: 2)?["result"]?["isError"] == false)
            let seen = try #require(upstream.received.last { $0.jsonRPCMethod == "tools/call" })
            #expect(seen.header("mcp-session-id") == upstreamSession, "the upstream sees its own session id")

            let ended = try await workers[0].send(.DELETE, path: "/mcp/\(grant.serverID.uuidString.lowercased())", body: nil,
                                                  headers: [("Authorization", "Bearer \(grant.token)"), ("Mcp-Session-Id", session)])
            #expect(ended.status == 200)
            #expect(upstream.openSessions.isEmpty)
        }
    }

    @Test func aBatchIsJudgedElementByElementAndTheAnswersMerged() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: [
                "version": "1", "default": "deny", "hide": ["stop-pod"], "tools": ["echo": [:], "list_pods": [:]],
            ])
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)
            upstream.clearReceived()

            let batch: JSONValue = [
                toolCall(1, "echo", ["text": "a"]), toolCall(2, "slow"), toolCall(3, "stop-pod"),
                ["jsonrpc": "2.0", "id": 4, "method": "tools/list"], ["jsonrpc": "2.0", "method": "notifications/initialized"],
                ["jsonrpc": "2.0", "id": 5, "hello": "world"],
            ]
            let answer = try await worker.post(batch, grant: grant, headers: [("MCP-Protocol-Version", "2025-03-26")])
            #expect(answer.status == 200)
            #expect(answer.response(id: 1)?["result"]?["isError"] == false)
            #expect(answer.response(id: 2)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "default_deny")
            #expect(answer.response(id: 3)?["error"]?["code"] == -32602)
            let listed = answer.response(id: 4)?["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(listed.contains("echo") && !listed.contains("stop-pod"))
            #expect(answer.response(id: 5)?["error"]?["code"] == -32600)
            // What went upstream is the allowed part only, as one smaller batch.
            let forwarded = try #require(upstream.received.last?.json?.arrayValue)
            #expect(forwarded.compactMap { $0["id"]?.numberValue?.int64Value } == [1, 4])
            #expect(forwarded.count == 3)

            let later = try await worker.post(batch, grant: grant, headers: [("MCP-Protocol-Version", "2025-06-18")])
            #expect(later.status == 400)
            #expect(later.json?["error"]?["code"] == -32600)
        }
    }

    @Test func getOpensTheServersEventStreamOrPassesOnIts405() async throws {
        try await GatewayHarness.with { harness in
            let streaming = try await FakeMCPUpstream.start(.init(getStream: true))
            let plain = try await FakeMCPUpstream.start(.init(getStream: false))
            defer { Task { await streaming.stop(); await plain.stop() } }
            let withStream = try await harness.grant(on: streaming, policy: Self.allowAll)
            let without = try await harness.grant(on: plain, policy: Self.allowAll)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(without)

            let refused = try await worker.send(.GET, path: "/mcp/\(without.serverID.uuidString.lowercased())", body: nil,
                                                headers: [("Authorization", "Bearer \(without.token)"), ("Accept", "text/event-stream")])
            #expect(refused.status == 405)

            // The stream stays open: read its first event and hang up.
            var request = HTTPClientRequest(url: worker.server.baseURL + "/mcp/\(withStream.serverID.uuidString.lowercased())")
            request.headers.add(name: "Authorization", value: "Bearer \(withStream.token)")
            request.headers.add(name: "Accept", value: "text/event-stream")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 200)
            #expect(response.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
            var parser = ServerSentEventParser()
            var events: [ServerSentEvent] = []
            for try await chunk in response.body {
                events += try parser.feed(chunk.readableBytesView)
                if !events.isEmpty { break }
            }
            #expect(events.first.flatMap { try? JSONParser().parse($0.data) }?["method"]?.stringValue != nil)
        }
    }
}
