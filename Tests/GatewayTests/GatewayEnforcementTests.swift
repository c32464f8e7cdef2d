import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// A real gateway worker between an agent and a fake upstream: every decision of design.md §5.3 as the
/// agent receives it, and what the upstream receives (or not).
@Suite(.timeLimit(.minutes(3)))
struct GatewayEnforcementTests {
    static let tools: [JSONValue] = [
        FakeMCPUpstream.tool("get_pod", annotations: ["readOnlyHint": true]), FakeMCPUpstream.tool("create_pod"),
        FakeMCPUpstream.tool("stop_pod"), FakeMCPUpstream.tool("rename_pod"), FakeMCPUpstream.tool("delete_pod"),
        FakeMCPUpstream.tool("restart_pod"),
    ]

    static let policy: JSONValue = [
        "version": "1", "default": "deny", "hide": ["delete_pod"],
        "tools": [
            "get_pod": [:],
            "create_pod": ["deny_if": [["conditions": [["path": "args.gpu", "op": "eq", "value": "H100"]]]]],
            "stop_pod": ["limits": [["counter": "stops", "window": "minute", "max": 2]]],
            "rename_pod": ["require": [["conditions": [["path": "args.name", "op": "regex", "value": "^[a-z]+$"]]]]],
        ],
    ]

    static func decisionCode(_ answer: GatewayWorker.Answer, id: Int) -> String? {
        answer.response(id: id)?["result"]?["_meta"]?["portcullis/decision"]?["code"]?.stringValue
    }

    @Test func everyDecisionReachesTheAgentAsSpecifiedAndDeniedCallsNeverReachTheUpstream() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(tools: Self.tools))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.policy)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            let allowed = try await worker.post(toolCall(1, "get_pod", ["pod_id": "p1"]), grant: grant)
            #expect(allowed.status == 200)
            #expect(allowed.response(id: 1)?["result"]?["isError"] == false)
            #expect(upstream.callCount(tool: "get_pod") == 1)

            let defaultDenied = try await worker.post(toolCall(2, "restart_pod"), grant: grant)
            #expect(defaultDenied.status == 200)
            #expect(Self.decisionCode(defaultDenied, id: 2) == "default_deny")
            #expect(defaultDenied.response(id: 2)?["result"]?["isError"] == true)
            let text = defaultDenied.response(id: 2)?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue
            #expect(text?.hasPrefix("[POLICY DENIED] ") == true)

            #expect(defaultDenied.response(id: 2)?["result"]?["resultType"] == nil)
            let statelessEra = try await worker.post(toolCall(12, "restart_pod"), grant: grant, headers: [("MCP-Protocol-Version", "2026-07-28")])
            #expect(statelessEra.response(id: 12)?["result"]?["resultType"] == "complete", "MCP 2026-07-28 results name their type")

            let denyIf = try await worker.post(toolCall(3, "create_pod", ["gpu": "H100"]), grant: grant)
            #expect(Self.decisionCode(denyIf, id: 3) == "deny_if")
            #expect(denyIf.response(id: 3)?["result"]?["_meta"]?["portcullis/decision"]?["rule"] == "/tools/create_pod/deny_if/0")
            let createAllowed = try await worker.post(toolCall(4, "create_pod", ["gpu": "A40"]), grant: grant)
            #expect(createAllowed.response(id: 4)?["result"]?["isError"] == false)

            let required = try await worker.post(toolCall(5, "rename_pod", ["name": "Bad Name"]), grant: grant)
            #expect(Self.decisionCode(required, id: 5) == "require_failed")

            for id in 6...7 {
                let stop = try await worker.post(toolCall(id, "stop_pod"), grant: grant)
                #expect(stop.response(id: id)?["result"]?["isError"] == false)
            }
            let limited = try await worker.post(toolCall(8, "stop_pod"), grant: grant)
            #expect(Self.decisionCode(limited, id: 8) == "rate_limited")
            #expect(limited.response(id: 8)?["result"]?["_meta"]?["portcullis/decision"]?["retry_after_s"]?.numberValue != nil)

            let hidden = try await worker.post(toolCall(9, "delete_pod"), grant: grant)
            #expect(hidden.response(id: 9)?["error"]?["code"] == -32602)
            #expect(hidden.response(id: 9)?["error"]?["message"] == "Unknown tool: delete_pod")
            let missing = try await worker.post(toolCall(10, "no_such_tool"), grant: grant)
            #expect(missing.response(id: 10)?["error"]?["code"] == -32602)

            #expect(upstream.callCount(tool: "restart_pod") == 0)
            #expect(upstream.callCount(tool: "rename_pod") == 0)
            #expect(upstream.callCount(tool: "delete_pod") == 0)
            #expect(upstream.callCount(tool: "create_pod") == 1)
            #expect(upstream.callCount(tool: "stop_pod") == 2)

            let noPolicy = try await harness.createGrant(serverID: grant.serverID, policyID: nil)
            try await worker.waitForGrant(noPolicy)
            let unpoliced = try await worker.post(toolCall(11, "get_pod"), grant: noPolicy)
            #expect(Self.decisionCode(unpoliced, id: 11) == "no_policy")
        }
    }

    @Test func toolsListIsFilteredOnEveryPageInJSONAndSSEAnswers() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(tools: Self.tools, pageSize: 2))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.policy)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            for mode in [FakeMCPUpstream.Mode.json, .sse] {
                upstream.setMode(mode)
                var names: [String] = []
                var cursor: JSONValue?
                var pages = 0
                repeat {
                    var params = JSONObject()
                    if let cursor { params["cursor"] = cursor }
                    let answer = try await worker.post(["jsonrpc": "2.0", "id": 20, "method": "tools/list", "params": .object(params)], grant: grant)
                    let result = try #require(answer.response(id: 20)?["result"])
                    for tool in result["tools"]?.arrayValue ?? [] {
                        names.append(tool["name"]?.stringValue ?? "")
                        #expect(tool["_meta"]?["portcullis/risk"]?["class"]?.stringValue != nil)
                    }
                    cursor = result["nextCursor"]
                    pages += 1
                } while cursor != nil && pages < 10
                #expect(pages == 3, "\(mode)")
                #expect(!names.contains("delete_pod"), "\(mode)")
                #expect(Set(names) == ["get_pod", "create_pod", "stop_pod", "rename_pod", "restart_pod"], "\(mode)")
            }
        }
    }

    @Test func grantsAndSessionsAreCheckedBeforeAnythingElse() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(tools: Self.tools, stateful: true))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.policy)
            let other = try await harness.grant(on: upstream, policy: Self.policy)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(other)

            let path = "/mcp/\(grant.serverID.uuidString.lowercased())"
            let noToken = try await worker.send(.POST, path: path, body: toolCall(1, "get_pod").serializedBytes(), headers: [("Content-Type", "application/json")])
            #expect(noToken.status == 401)
            #expect(noToken.headers.first(name: "www-authenticate")?.hasPrefix("Bearer") == true)
            let forged = try await worker.send(.POST, path: path, body: toolCall(1, "get_pod").serializedBytes(),
                                               headers: [("Authorization", "Bearer pcs_gt_notarealtoken000000000000000000000")])
            #expect(forged.status == 401)

            // A grant on another server's URL.
            let elsewhere = try await harness.registerServer(url: upstream.url)
            let wrongServer = try await worker.send(.POST, path: "/mcp/\(elsewhere.uuidString.lowercased())", body: toolCall(1, "get_pod").serializedBytes(),
                                                    headers: [("Authorization", "Bearer \(grant.token)"), ("Content-Type", "application/json")])
            #expect(wrongServer.status == 403)

            // The secret URL works without a header.
            let secret = try await worker.send(.POST, path: "/g/\(grant.token)/mcp", body: initialize(1).serializedBytes(),
                                               headers: [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")])
            #expect(secret.status == 200)
            let session = try #require(secret.sessionID)
            #expect(!upstream.openSessions.contains(session), "the agent sees the gateway's sealed id, not the upstream's")

            // The sealed session belongs to its grant: another grant's token gets 404.
            let stolen = try await worker.post(toolCall(2, "get_pod"), grant: other, session: session)
            #expect(stolen.status == 404)
            let own = try await worker.post(toolCall(3, "get_pod"), grant: grant, session: session)
            #expect(own.status == 200)
            #expect(own.response(id: 3)?["result"]?["isError"] == false)
            let garbled = try await worker.post(toolCall(4, "get_pod"), grant: grant, session: session + "x")
            #expect(garbled.status == 404)

            // Revoked: 401 once the snapshot carries it.
            #expect(try await harness.admin(.DELETE, "/v1/grants/\(grant.id.uuidString.lowercased())").status == 204)
            var revokedStatus = 0
            for _ in 0..<100 where revokedStatus != 401 {
                revokedStatus = try await worker.post(toolCall(5, "get_pod"), grant: grant, session: session).status
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(revokedStatus == 401)
        }
    }

    @Test func theUpstreamGetsTheServersCredentialsAndNeverTheClients() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(tools: Self.tools))
            defer { Task { await upstream.stop() } }
            let server = try await harness.registerServer(url: upstream.url, auth: ["type": "bearer", "token": "upstream-secret-token"])
            let grant = try await harness.createGrant(serverID: server, policyID: try await harness.createPolicy(Self.policy))
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)
            upstream.clearReceived()

            let answer = try await worker.post(toolCall(1, "get_pod"), grant: grant, headers: [
                ("Cookie", "session=agent-cookie"), ("Portcullis-Debug", "1"), ("X-Custom", "y"), ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
            ])
            #expect(answer.status == 200)
            let received = try #require(upstream.received.first { $0.jsonRPCMethod == "tools/call" })
            #expect(received.header("authorization") == "Bearer upstream-secret-token")
            #expect(received.header("cookie") == nil)
            #expect(received.header("portcullis-debug") == nil)
            #expect(received.header("x-custom") == nil)
            #expect(received.header("traceparent") != nil)
            #expect(received.header("user-agent")?.contains("portcullis-gateway") == true)
            #expect(!received.headers.contains { $0.value.contains(grant.token) })
        }
    }

    @Test func aCallTheUpstreamAnswersWithAnErrorGivesItsCountBackAndResultsAreAuditedWhenAsked() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: [
                "version": "1", "default": "allow", "pin": "off", "audit": ["arguments": "full", "results": true],
                "all_tools": ["limits": [["counter": "calls", "window": "hour", "max": 1]]],
            ])
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            // The upstream does not know this tool: its JSON-RPC error does not use up the one call.
            for id in 1...2 {
                let refused = try await worker.post(toolCall(id, "not_upstream"), grant: grant)
                #expect(refused.response(id: id)?["error"]?["code"] == -32602)
            }
            let counted = try await worker.post(toolCall(3, "echo", ["text": "hello", "token": "ghp_abcdefghijklmnopqrstuvwxyz0123456789"]), grant: grant)
            #expect(counted.response(id: 3)?["result"]?["isError"] == false)
            let limited = try await worker.post(toolCall(4, "echo"), grant: grant)
            #expect(limited.response(id: 4)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "rate_limited")

            #expect(try await eventually(within: .seconds(10)) {
                let rows = (try? await harness.database.query("""
                    SELECT result::jsonb AS result, arguments::jsonb AS arguments, upstream_status FROM audit_events
                    WHERE grant_id = \(grant.id) AND kind = 'response' AND jsonrpc_id::jsonb = '3'::jsonb
                    """)) ?? []
                guard let row = rows.first,
                      let result = try? row.decode("result", as: JSONValue?.self),
                      let arguments = try? row.decode("arguments", as: JSONValue?.self) else { return false }
                let text = result["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
                return text.contains("hello") && !text.contains("ghp_abcdef")
                    && arguments["text"] == "hello" && arguments["token"]?.stringValue?.contains("ghp_abcdef") == false
            })
        }
    }
}

func initialize(_ id: Int, version: String = "2025-06-18") -> JSONValue {
    ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": "initialize", "params": [
        "protocolVersion": .string(version), "capabilities": [:], "clientInfo": ["name": "test-agent", "version": "1.0"],
    ]]
}
