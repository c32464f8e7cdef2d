import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// Issue 10 item 9 end to end: a worker whose installation does not allow loopback refuses to call
/// an upstream there, with a fixed reason, until the operator allows the range for that one
/// account with `controlplane account-upstream-cidrs`; the allowance reaches the worker in the
/// snapshot.
@Suite(.timeLimit(.minutes(3)))
struct AdversarialWorkerAddressGuardTests {
    static let allowAll: JSONValue = ["version": "1", "default": "allow", "pin": "off"]

    @Test func workerRefusesAnUpstreamOutsideItsAllowanceUntilTheOperatorGrantsItToTheAccount() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.allowAll)
            let worker = try await harness.startWorker(loopbackUpstreams: false)
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            let refused = try await worker.post(toolCall(1, "echo", ["text": "a"]), grant: grant)
            #expect(refused.json?["error"]?["code"] == -32603)
            let message = refused.json?["error"]?["message"]?.stringValue ?? ""
            #expect(message.hasPrefix("Upstream MCP server unavailable: refused"), "\(message)")
            #expect(!message.contains("127.0.0.1") && !message.contains("loopback"), "\(message)")
            #expect(upstream.callCount(tool: "echo") == 0)

            let slug = try #require(try await harness.admin(.GET, "/v1/account").body["slug"]?.stringValue)
            let shown = try ChildProcess.run([
                "\(builtProductsFolder())/controlplane", "account-upstream-cidrs", slug, "--set", "127.0.0.0/8",
                "--database-url", harness.conninfo, "--log-level", "error",
            ])
            #expect(shown.contains("127.0.0.0/8"))
            let reached = try await eventually(within: .seconds(15)) {
                let answer = try? await worker.post(toolCall(2, "echo", ["text": "b"]), grant: grant)
                return answer?.json?["result"] != nil
            }
            #expect(reached)
            #expect(try await harness.admin(.GET, "/v1/account").body["allowed_upstream_cidrs"] == ["127.0.0.0/8"])
        }
    }
}
