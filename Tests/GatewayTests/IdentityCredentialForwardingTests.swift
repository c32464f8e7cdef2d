import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// Issue 14 item 5 through a real worker: a server whose upstream credential is per identity sends
/// each caller's own credential, never another identity's, never the agent's, and never the server's
/// unless the server's mode falls back to it.
@Suite(.timeLimit(.minutes(3)))
struct IdentityCredentialForwardingTests {
    /// `pin` is `block` by default: the catalog's approved definitions must stay trusted.
    static let policy: JSONValue = ["version": "1", "default": "allow"]

    /// A grant for a new identity, with that identity's own bearer token for the server when `token` is set.
    static func grant(_ harness: GatewayHarness, server: UUID, policy: UUID, label: String, token: String?) async throws -> GatewayHarness.Grant {
        let identity = try GatewayHarness.id(try await harness.adminCreate("/v1/identities", ["label": .string(label)]))
        if let token {
            let (status, answer) = try await harness.admin(
                .PUT, "/v1/identities/\(identity.uuidString.lowercased())/credentials/\(server.uuidString.lowercased())",
                ["auth": ["type": "bearer", "token": .string(token)]])
            guard status == 201 else { throw FixtureError("PUT credential answered \(status): \(answer.serialized())") }
        }
        let answer = try await harness.adminCreate("/v1/grants", [
            "identity_id": .string(identity.uuidString.lowercased()), "server_id": .string(server.uuidString.lowercased()),
            "policy_id": .string(policy.uuidString.lowercased()),
        ])
        return GatewayHarness.Grant(id: try GatewayHarness.id(answer), token: answer["token"]!.stringValue!, serverID: server)
    }

    @Test func eachIdentityReachesTheUpstreamWithItsOwnTokenNeverAnothersNorTheAgentsAndOneWithoutIsRefusedAndAudited() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let server = try await harness.adminCreate("/v1/servers", [
                "name": "per-identity", "url": .string(upstream.url), "auth": ["type": "bearer", "token": "shared-token"],
                "credential_mode": "per_identity",
            ])
            let serverID = try GatewayHarness.id(server)
            let policy = try await harness.createPolicy(Self.policy)
            let alice = try await Self.grant(harness, server: serverID, policy: policy, label: "alice", token: "alice-upstream-token")
            let bob = try await Self.grant(harness, server: serverID, policy: policy, label: "bob", token: "bob-upstream-token")
            let carol = try await Self.grant(harness, server: serverID, policy: policy, label: "carol", token: nil)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            for grant in [alice, bob, carol] { try await worker.waitForGrant(grant) }
            upstream.clearReceived()

            for (id, grant) in [(1, alice), (2, bob), (3, alice)] {
                let answer = try await worker.post(toolCall(id, "echo", ["text": "hi"]), grant: grant)
                #expect(answer.response(id: id)?["result"]?["isError"] == false)
            }
            let calls = upstream.received.filter { $0.jsonRPCMethod == "tools/call" }
            #expect(calls.map { $0.header("authorization") } == ["Bearer alice-upstream-token", "Bearer bob-upstream-token", "Bearer alice-upstream-token"])
            for call in calls {
                #expect(!call.headers.contains { $0.value.contains(alice.token) || $0.value.contains(bob.token) || $0.value.contains("shared-token") })
            }

            // Carol has no credential of her own: a clear error, nothing upstream, an audit row that says why.
            upstream.clearReceived()
            let refused = try await worker.post(toolCall(4, "echo", ["text": "hi"]), grant: carol)
            #expect(refused.status == 200)
            let error = try #require(refused.response(id: 4)?["error"])
            #expect(error["code"] == -32001)
            #expect(error["message"]?.stringValue?.contains("'carol' has no upstream credential for server 'per-identity'") == true)
            #expect(upstream.received.isEmpty)
            #expect(try await eventually(within: .seconds(10)) {
                let rows = (try? await harness.database.query("""
                    SELECT message FROM audit_events WHERE grant_id = \(carol.id) AND kind = 'response' AND jsonrpc_id::jsonb = '4'::jsonb
                    """)) ?? []
                return (try? rows.first?.decode("message", as: String?.self))??.contains("has no upstream credential") == true
            })

            // Carol's failed tools/list says nothing of the upstream: the others' pinned tools stay approved.
            let list = try await worker.post(["jsonrpc": "2.0", "id": 5, "method": "tools/list"], grant: carol)
            #expect(list.response(id: 5)?["error"]?["code"] == -32001)
            let after = try await worker.post(toolCall(6, "echo", ["text": "hi"]), grant: alice)
            #expect(after.response(id: 6)?["result"]?["isError"] == false, "\(after.text)")
        }
    }

    @Test func perIdentityOrSharedSendsTheServersTokenForAnIdentityWithoutItsOwn() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let serverID = try GatewayHarness.id(try await harness.adminCreate("/v1/servers", [
                "name": "fallback", "url": .string(upstream.url), "auth": ["type": "bearer", "token": "shared-token"],
                "credential_mode": "per_identity_or_shared",
            ]))
            let policy = try await harness.createPolicy(Self.policy)
            let alice = try await Self.grant(harness, server: serverID, policy: policy, label: "alice", token: "alice-upstream-token")
            let dave = try await Self.grant(harness, server: serverID, policy: policy, label: "dave", token: nil)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            for grant in [alice, dave] { try await worker.waitForGrant(grant) }
            upstream.clearReceived()

            _ = try await worker.post(toolCall(1, "echo", ["text": "hi"]), grant: alice)
            _ = try await worker.post(toolCall(2, "echo", ["text": "hi"]), grant: dave)
            let calls = upstream.received.filter { $0.jsonRPCMethod == "tools/call" }
            #expect(calls.map { $0.header("authorization") } == ["Bearer alice-upstream-token", "Bearer shared-token"])
        }
    }
}
