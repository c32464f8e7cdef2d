import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import Shared
import TestSupport
import Testing

/// Issue 10 items 3 and 4 with real processes: every request the gateway handles leaves its audit
/// row, and a batch is spooled whole or refused whole.
@Suite(.timeLimit(.minutes(3)))
struct AdversarialAuditRowTests {
    static let allowAll: JSONValue = ["version": "1", "default": "allow", "pin": "off"]

    struct Row: Hashable {
        let kind: String
        let code: String?
        let message: String?
    }

    static func rows(_ harness: GatewayHarness, _ grant: GatewayHarness.Grant) async -> [Row] {
        let rows = (try? await harness.database.query("SELECT kind, code, message FROM audit_events WHERE grant_id = \(grant.id)")) ?? []
        return rows.compactMap { row in
            guard let kind = try? row.decode("kind", as: String.self) else { return nil }
            return Row(kind: kind, code: try? row.decode("code", as: String?.self), message: try? row.decode("message", as: String?.self))
        }
    }

    @Test func everyHandledRequestWritesItsAuditRowEvenWhenRefusedOrAbandoned() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(mode: .sse))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.allowAll)
            let worker = try await harness.startWorker(arguments: ["--body-read-timeout", "1"])
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)
            let url = worker.server.baseURL + "/mcp/\(grant.serverID.uuidString.lowercased())"

            let forged = try await worker.post(["jsonrpc": "2.0", "id": 1, "method": "ping"], grant: grant, session: "forged-session")
            #expect(forged.status == 404)
            let elsewhere = try await worker.send(.POST, path: "/mcp/\(UUID().uuidString.lowercased())", body: Array(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.utf8),
                                                  headers: [("Authorization", "Bearer \(grant.token)"), ("Content-Type", "application/json")])
            #expect(elsewhere.status == 403)
            let unnamed = try await worker.post(["jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": ["arguments": [:]]], grant: grant)
            #expect(unnamed.response(id: 2)?["error"]?["code"] == -32602)
            let batch = try await worker.post([
                ["jsonrpc": "2.0", "id": 3, "hello": "world"], ["jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": [:]],
            ], grant: grant, headers: [("MCP-Protocol-Version", "2025-03-26")])
            #expect(batch.response(id: 3)?["error"]?["code"] == -32600)
            #expect(batch.response(id: 4)?["error"]?["code"] == -32602)

            // A body that stops arriving.
            let (chunks, sender) = AsyncStream<ByteBuffer>.makeStream()
            var stalled = HTTPClientRequest(url: url)
            stalled.method = .POST
            stalled.headers.add(name: "Authorization", value: "Bearer \(grant.token)")
            stalled.headers.add(name: "Content-Type", value: "application/json")
            stalled.body = .stream(chunks, length: .known(Int64(1000)))
            sender.yield(ByteBuffer(string: #"{"jsonrpc":"2.0","#))
            let late = try? await HTTPClient.shared.execute(stalled, timeout: .seconds(10))
            sender.finish()
            #expect(late?.status.code == 408)

            // An agent that hangs up after the first event of a long answer.
            var call = HTTPClientRequest(url: url)
            call.method = .POST
            call.headers.add(name: "Authorization", value: "Bearer \(grant.token)")
            call.headers.add(name: "Content-Type", value: "application/json")
            call.headers.add(name: "Accept", value: "application/json, text/event-stream")
            call.body = .bytes(ByteBuffer(bytes: toolCall(5, "trickle", ["events": 25]).serializedBytes()))
            let streaming = try await HTTPClient.shared.execute(call, timeout: .seconds(10))
            for try await _ in streaming.body { break }

            let recorded = try await eventually(within: .seconds(20)) {
                let rows = await Self.rows(harness, grant)
                return rows.contains { $0.code == "session_not_found" }
                    && rows.contains { $0.code == "grant_refused" && $0.message == "The grant is not for this server." }
                    && rows.filter { $0.code == "invalid_params" }.count == 2
                    && rows.contains { $0.code == "invalid_message" && $0.message?.contains("did not arrive in time") == true }
                    && rows.contains { $0.code == "invalid_message" && $0.message?.contains("Invalid Request") == true }
                    && rows.contains { $0.kind == "response" && $0.message?.contains("closed the connection") == true }
            }
            let rows = await Self.rows(harness, grant)
            #expect(recorded, "\(rows)")
        }
    }

    @Test func aBatchIsSpooledWholeOrRefusedWhole() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.allowAll)
            // Room for a few single requests, not for a hundred calls at once.
            let worker = try await harness.startWorker(arguments: ["--audit-spool-max-bytes", "16384"])
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            let calls = JSONValue.array((1...100).map { toolCall($0, "echo", ["text": "x"]) })
            let refused = try await worker.post(calls, grant: grant, headers: [("MCP-Protocol-Version", "2025-03-26")])
            #expect(refused.status == 503)
            #expect(upstream.callCount(tool: "echo") == 0, "no element goes upstream unrecorded, and none recorded goes missing")

            let single = try await worker.post(toolCall(101, "echo"), grant: grant)
            #expect(single.response(id: 101)?["result"]?["isError"] == false)
        }
    }
}
