import Foundation
import Shared
import Testing

@testable import ControlPlane
import JSON

/// Issue 10 item 14: simulating a `validate_arguments` policy checks the arguments against the
/// catalog's inputSchema, as a worker does, instead of answering "schema not known".
@Suite(.timeLimit(.minutes(2)))
struct AdversarialPolicySimulationTests {
    @Test func simulationValidatesArgumentsAgainstTheCatalogSchemaLikeAWorker() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let fixtures = Fixtures(database: database)
            let server = try await fixtures.server(of: admin)
            try await fixtures.tool("create-pod", server: server, of: admin, risk: "write")
            try await database.execute("""
                UPDATE tools SET input_schema = '{"type": "object", "properties": {"gpuCount": {"type": "integer"}}}'
                WHERE name = 'create-pod'
                """)
            let policy = try await api.createPolicy(
                ["version": "1", "default": "deny", "validate_arguments": true, "tools": ["create-pod": [:]]], by: admin)
            let grant = try #require(try await api.createGrant(server: server, policy: policy, by: admin)["id"]?.stringValue)
            func simulate(_ arguments: JSONValue) async throws -> APIResponse {
                try await api.send(.post, "/v1/policies/\(policy)/simulate", key: admin.key,
                                   json: ["grant_id": .string(grant), "tool": "create-pod", "arguments": arguments])
            }
            let smuggled = try await simulate(["gpuCount": "4"])
            #expect(smuggled["decision"] == "deny")
            #expect(smuggled["code"] == "require_failed")
            #expect(smuggled["rule"] == "/validate_arguments")
            #expect(try await simulate(["gpuCount": 4])["decision"] == "allow")
        }
    }
}
