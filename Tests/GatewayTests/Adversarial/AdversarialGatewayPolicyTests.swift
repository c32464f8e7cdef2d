import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// Issue 10 item 14 end to end: the catalog's inputSchema travels from discovery through the
/// snapshot to the decision, so a wrong-typed argument is refused before a rule can miss it.
@Suite(.timeLimit(.minutes(3)))
struct AdversarialGatewayPolicyTests {
    static let createPod: JSONValue = {
        guard case .object(var definition) = FakeMCPUpstream.tool("create_pod") else { return .null }
        definition["inputSchema"] = ["type": "object", "properties": ["gpuCount": ["type": "integer"]]]
        return .object(definition)
    }()

    static let policy: JSONValue = [
        "version": "1", "default": "deny", "validate_arguments": true, "conditions_mode": "strict",
        "tools": ["create_pod": ["deny_if": [["conditions": [["path": "args.gpuCount", "op": "gt", "value": 1]]]]]],
    ]

    @Test func stringGpuCountIsRefusedByTheCatalogSchemaBeforeTheRule() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(tools: [Self.createPod]))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.policy)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            let smuggled = try await worker.post(toolCall(1, "create_pod", ["gpuCount": "4"]), grant: grant)
            let decision = smuggled.response(id: 1)?["result"]?["_meta"]?["portcullis/decision"]
            #expect(decision?["code"] == "require_failed")
            #expect(decision?["rule"] == "/validate_arguments")
            let text = smuggled.response(id: 1)?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue
            #expect(text?.contains("args.gpuCount must be integer (is a string)") == true)

            let tooMany = try await worker.post(toolCall(2, "create_pod", ["gpuCount": 4]), grant: grant)
            #expect(tooMany.response(id: 2)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "deny_if")
            let fine = try await worker.post(toolCall(3, "create_pod", ["gpuCount": 1]), grant: grant)
            #expect(fine.response(id: 3)?["result"]?["isError"] == false)
            #expect(upstream.callCount(tool: "create_pod") == 1)
        }
    }
}
