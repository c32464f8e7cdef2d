import AsyncHTTPClient
import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// design.md §5.9 against a real worker: every kind of bad input gets its clear answer and none of it
/// reaches the upstream; an endless SSE event is cut; an upstream that is slow or absent is
/// answered -32603; a client that never finishes its headers is cut at the idle timeout.
/// (Body-read timeouts: AdversarialAuditRowTests; batch caps and request methods
/// sent as notifications: AdversarialIncomingMessageTests.)
@Suite(.timeLimit(.minutes(3)))
struct AdversarialBadInputTests {
    static let allowAll: JSONValue = ["version": "1", "default": "allow", "pin": "off"]

    /// Without the idle timeout the worker waits for the rest of the headers forever, and the
    /// exchange's read ends at its own safety net with the connection still open.
    @Test func aClientThatNeverFinishesItsHeadersIsDisconnectedAtTheIdleTimeout() async throws {
        try await GatewayHarness.with { harness in
            let worker = try await harness.startWorker(arguments: ["--idle-timeout", "1"])
            defer { Task { try? await worker.stop() } }
            let answer = try await rawExchange(port: worker.server.port, "POST /mcp/x HTTP/1.1\r\nHost: localhost\r\n")
            #expect(answer.closedByServer)
        }
    }

    @Test func badInputIsAnsweredClearlyAndNeverReachesTheUpstream() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(mode: .sse))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.allowAll)
            let worker = try await harness.startWorker(arguments: ["--max-event-bytes", "65536", "--allowed-origin", "https://console.example"])
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)
            upstream.clearReceived()
            let path = "/mcp/\(grant.serverID.uuidString.lowercased())"
            func raw(_ body: String, _ extra: [(String, String)] = []) async throws -> GatewayWorker.Answer {
                try await worker.send(.POST, path: path, body: Array(body.utf8), headers: [
                    ("Authorization", "Bearer \(grant.token)"), ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
                ] + extra)
            }

            let malformed = try await raw(#"{"jsonrpc":"2.0","id":1,"method":"tools/call""#)
            #expect(malformed.status == 400)
            #expect(malformed.json?["error"]?["code"] == -32700)
            let notUTF8 = try await worker.send(.POST, path: path, body: Array(#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":""#.utf8) + [0xC3, 0x28] + Array(#""}}"#.utf8), headers: [
                ("Authorization", "Bearer \(grant.token)"), ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
            ])
            #expect(notUTF8.status == 400)
            #expect(notUTF8.json?["error"]?["code"] == -32700)
            let duplicate = try await raw(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"fail_http"}}"#)
            #expect(duplicate.status == 400)
            #expect(duplicate.json?["error"]?["code"] == -32600)
            let notRPC = try await raw(#"{"hello":"world"}"#)
            #expect(notRPC.json?["error"]?["code"] == -32600)
            let deep = try await raw(String(repeating: "[", count: 100) + String(repeating: "]", count: 100))
            #expect(deep.json?["error"]?["code"] == -32600)
            let huge = try await raw(#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":""# + String(repeating: "x", count: 5 << 20) + #""}}"#)
            #expect(huge.status == 413)
            let mismatched = try await raw(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}"#,
                                           [("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"), ("Mcp-Name", "fail_http")])
            #expect(mismatched.status == 400)
            #expect(mismatched.json?["error"]?["code"] == -32020)
            let foreignOrigin = try await raw(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, [("Origin", "https://evil.example")])
            #expect(foreignOrigin.status == 403)
            let allowedOrigin = try await raw(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, [("Origin", "https://console.example")])
            #expect(allowedOrigin.status == 200)
            #expect(upstream.received.allSatisfy { $0.jsonRPCMethod == "ping" }, "only the well-formed pings went upstream")

            // An event that never ends is cut at the limit with an error the client can read.
            let endless = try await worker.post(toolCall(5, "endless_event", ["bytes": 200_000]), grant: grant)
            #expect(endless.status == 200)
            #expect(endless.response(id: 5)?["error"]?["code"] == -32603)

            // An upstream that does not answer within its first-byte timeout, and one that is not there.
            let impatient = try await harness.registerServer(url: upstream.url, timeouts: ["first_byte_ms": 500])
            let impatientGrant = try await harness.createGrant(serverID: impatient, policyID: try await harness.createPolicy(Self.allowAll))
            let nobody = try await harness.registerServer(url: "http://127.0.0.1:\(try freeLoopbackPort())/mcp")
            let nobodyGrant = try await harness.createGrant(serverID: nobody, policyID: try await harness.createPolicy(Self.allowAll))
            try await worker.waitForGrant(nobodyGrant)
            for (id, grant, tool, reason) in [(6, impatientGrant, "slow", "first-byte timeout"), (7, nobodyGrant, "echo", "connection")] {
                let answer = try await worker.post(toolCall(id, tool, ["ms": 3000]), grant: grant)
                #expect(answer.status == 200)
                #expect(answer.json?["error"]?["code"] == -32603)
                let message = answer.json?["error"]?["message"]?.stringValue ?? ""
                #expect(message.hasPrefix("Upstream MCP server unavailable: ") && message.contains(reason), "\(message)")
            }
        }
    }
}
