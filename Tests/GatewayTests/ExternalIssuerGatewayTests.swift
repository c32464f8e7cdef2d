import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// Issue 14 item 4 end to end: a control plane that trusts a local identity provider, a worker that
/// learned the provider's keys from its snapshot alone, and an agent calling with the provider's token.
struct ExternalIssuerGatewayTests {
    @Test(.timeLimit(.minutes(3))) func anAgentCallsAToolWithATokenFromItsAccountsIdentityProvider() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start()
            defer { Task { await upstream.stop() } }
            let key = TestIssuerKey.p256()
            try await LocalOIDCIssuer.run(keys: [key]) { issuer in
                let server = try await harness.registerServer(url: upstream.url)
                let allow = try await harness.createPolicy(["version": "1", "default": "allow", "pin": "off"])
                let denyAll = try await harness.createPolicy(["version": "1", "default": "deny", "pin": "off"])
                let grant = try await harness.createGrant(serverID: server, policyID: allow, label: "alice@example.com")
                _ = try await harness.adminCreate("/v1/trusted-issuers", [
                    "issuer": .string(issuer.url), "audience": "portcullis", "identity_claim": "email", "group_claim": "groups",
                    "group_policies": [["group": "contractors", "policy_id": .string(denyAll.uuidString.lowercased())]],
                ])
                let worker = try await harness.startWorker()
                defer { Task { try? await worker.stop() } }
                try await worker.waitForGrant(grant)
                func bearer(_ claims: [String: JSONValue]) throws -> GatewayHarness.Grant {
                    let token = try key.token(testIssuerClaims(issuer: issuer.url, audience: "portcullis", subject: "u-1", extra: claims))
                    return GatewayHarness.Grant(id: grant.id, token: token, serverID: server)
                }
                upstream.clearReceived()

                let alice = try bearer(["email": "alice@example.com"])
                let answer = try await worker.post(toolCall(1, "echo", ["text": "hi"]), grant: alice)
                #expect(answer.status == 200)
                #expect(answer.response(id: 1)?["result"]?["isError"] != true)
                let received = try #require(upstream.received.first { $0.jsonRPCMethod == "tools/call" })
                // The provider's token is never passed on (the MCP specification forbids passthrough).
                #expect(!received.headers.contains { $0.value.contains(alice.token) })

                // A group the account maps to a policy decides instead of the grant's.
                let contractor = try await worker.post(toolCall(2, "echo"), grant: try bearer(["email": "alice@example.com", "groups": ["contractors"]]))
                #expect(contractor.response(id: 2)?["result"]?["_meta"]?["portcullis/decision"]?["code"] == "default_deny")

                let stranger = try await worker.post(toolCall(3, "echo"), grant: try bearer(["email": "mallory@example.com"]))
                #expect(stranger.status == 401)
                #expect(stranger.headers.first(name: "www-authenticate")?.contains("invalid_token") == true)
                #expect(stranger.text.contains("No identity of this account is labelled with the token's email."))
            }
        }
    }
}
