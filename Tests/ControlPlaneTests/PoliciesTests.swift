import Foundation
import Shared
import Testing

@testable import ControlPlane
import JSON

let denyAllPolicy: JSONValue = ["version": "1", "default": "deny"]
let listPodsPolicy: JSONValue = ["version": "1", "default": "deny", "tools": ["list-pods": [:]]]

@Suite(.timeLimit(.minutes(2)))
struct PoliciesTests {
    @Test func policiesAreCreatedReadVersionedAndSoftDeleted() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let created = try await api.send(.post, "/v1/policies", key: admin.key, json: [
                "name": "runpod", "server_id": .string(server), "document": denyAllPolicy,
            ])
            #expect(created.status == .created)
            #expect(created["version"] == 1)
            #expect(created["document"] == denyAllPolicy)
            #expect(created["server_id"] == .string(server))
            let id = try #require(created["id"]?.stringValue)

            let replaced = try await api.send(.put, "/v1/policies/\(id)", key: admin.key, json: ["document": listPodsPolicy])
            #expect(replaced.status == .ok)
            #expect(replaced["version"] == 2)
            #expect(try await api.send(.get, "/v1/policies/\(id)", key: admin.key)["document"] == listPodsPolicy)

            let versions = try await api.send(.get, "/v1/policies/\(id)/versions", key: admin.key)
            #expect(versions["items"]?.arrayValue?.map { $0["version"] } == [2, 1])
            #expect(versions["items"]?.arrayValue?.last?["document"] == denyAllPolicy)
            #expect(try await api.send(.get, "/v1/policies", key: admin.key)["items"]?.arrayValue?.count == 1)

            #expect(try await api.send(.delete, "/v1/policies/\(id)", key: admin.key).status == .noContent)
            #expect(try await api.send(.get, "/v1/policies/\(id)", key: admin.key).status == .notFound)
            #expect(try await api.send(.get, "/v1/policies", key: admin.key)["items"]?.arrayValue?.isEmpty == true)
            // Soft delete: the versions audit rows name are still there, and the name is free again.
            let kept: Int = try await database.query("SELECT count(*)::int AS n FROM policy_versions WHERE policy_id = \(UUID(uuidString: id)!)")[0].decode("n")
            #expect(kept == 2)
            #expect(try await api.send(.post, "/v1/policies", key: admin.key, json: ["name": "runpod", "document": denyAllPolicy]).status == .created)
        }
    }

    @Test func everyPolicyWriteIsAConfigurationChange() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let id = try await api.createPolicy(denyAllPolicy, by: admin)
            _ = try await api.send(.put, "/v1/policies/\(id)", key: admin.key, json: ["document": listPodsPolicy])
            _ = try await api.send(.delete, "/v1/policies/\(id)", key: admin.key)
            let ops: [String] = try await database.query("""
                SELECT op FROM config_changes WHERE entity_kind = 'policy' AND entity_id = \(UUID(uuidString: id)!) ORDER BY change
                """).map { try $0.decode("op") }
            #expect(ops == ["upsert", "upsert", "delete"])
        }
    }

    @Test func invalidDocumentsAreRefusedWithEveryProblemAtItsPointer() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let bad: JSONValue = [
                "version": "1", "default": "maybe",
                "tools": ["stop-pod": ["limits": [["counter": "c", "window": "fortnight", "max": 10]]]],
                "colour": "red",
            ]
            let refused = try await api.send(.post, "/v1/policies", key: admin.key, json: ["name": "bad", "document": bad])
            #expect(refused.status == .badRequest)
            #expect(refused.isProblem)
            #expect(Set(refused.errorPointers).isSuperset(of: ["/document/default", "/document/tools/stop-pod/limits/0/window", "/document/colour"]))

            let validated = try await api.send(.post, "/v1/policies/validate", key: admin.key, json: ["document": bad])
            #expect(validated.status == .badRequest)
            #expect(validated.errorPointers == refused.errorPointers)
            #expect(try await api.send(.post, "/v1/policies/validate", key: admin.key, json: ["document": listPodsPolicy])["valid"] == true)
            #expect(try await api.send(.post, "/v1/policies/validate", key: admin.key, json: ["document": "text"]).errorPointers == ["/document"])

            let missing = try await api.send(.post, "/v1/policies", key: admin.key, json: ["document": 3, "extra": true])
            #expect(Set(missing.errorPointers) == ["/name", "/document", "/extra"])

            let id = try await api.createPolicy(denyAllPolicy, by: admin)
            let badPut = try await api.send(.put, "/v1/policies/\(id)", key: admin.key, json: ["document": bad])
            #expect(badPut.status == .badRequest)
            #expect(try await api.send(.get, "/v1/policies/\(id)", key: admin.key)["version"] == 1, "a refused PUT makes no version")
        }
    }

    @Test func namesAreUniqueAndServersMustBeTheAccountsOwn() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let other = try await api.signup("Other")
            let foreignServer = try await Fixtures(database: database).server(of: other)
            _ = try await api.createPolicy(denyAllPolicy, name: "same", by: admin)
            #expect(try await api.send(.post, "/v1/policies", key: admin.key, json: ["name": "same", "document": denyAllPolicy]).status == .conflict)
            let foreign = try await api.send(.post, "/v1/policies", key: admin.key, json: [
                "name": "x", "server_id": .string(foreignServer), "document": denyAllPolicy,
            ])
            #expect(foreign.status == .badRequest)
            #expect(foreign.errorPointers == ["/server_id"])
        }
    }

    @Test func adminsAndPolicyManagersWriteViewersOnlyRead() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let manager = try await api.addMember("policy_manager", by: admin)
            let viewer = try await api.addMember("viewer", by: admin)
            let id = try await api.createPolicy(denyAllPolicy, name: "by-manager", by: manager)
            #expect(try await api.send(.put, "/v1/policies/\(id)", key: manager.key, json: ["document": listPodsPolicy]).status == .ok)

            #expect(try await api.send(.get, "/v1/policies/\(id)", key: viewer.key).status == .ok)
            #expect(try await api.send(.get, "/v1/policies/\(id)/versions", key: viewer.key).status == .ok)
            #expect(try await api.send(.post, "/v1/policies/validate", key: viewer.key, json: ["document": denyAllPolicy]).status == .ok)
            #expect(try await api.send(.post, "/v1/policies/\(id)/simulate", key: viewer.key, json: ["tool": "list-pods"]).status == .ok)
            #expect(try await api.send(.post, "/v1/policies", key: viewer.key, json: ["name": "v", "document": denyAllPolicy]).status == .forbidden)
            #expect(try await api.send(.put, "/v1/policies/\(id)", key: viewer.key, json: ["document": denyAllPolicy]).status == .forbidden)
            #expect(try await api.send(.delete, "/v1/policies/\(id)", key: viewer.key).status == .forbidden)
            #expect(try await api.send(.delete, "/v1/policies/\(id)", key: manager.key).status == .noContent)
        }
    }

    @Test func anotherAccountsPolicyIsNotFound() async throws {
        try await withAPI { api, _ in
            let owner = try await api.signup()
            let stranger = try await api.signup("Stranger")
            let id = try await api.createPolicy(denyAllPolicy, by: owner)
            #expect(try await api.send(.get, "/v1/policies/\(id)", key: stranger.key).status == .notFound)
            #expect(try await api.send(.get, "/v1/policies/\(id)/versions", key: stranger.key).status == .notFound)
            #expect(try await api.send(.put, "/v1/policies/\(id)", key: stranger.key, json: ["document": listPodsPolicy]).status == .notFound)
            #expect(try await api.send(.delete, "/v1/policies/\(id)", key: stranger.key).status == .notFound)
            #expect(try await api.send(.post, "/v1/policies/\(id)/simulate", key: stranger.key, json: ["tool": "x"]).status == .notFound)
            #expect(try await api.send(.get, "/v1/policies", key: stranger.key)["items"]?.arrayValue?.isEmpty == true)
            #expect(try await api.send(.get, "/v1/policies/\(id)", key: owner.key)["version"] == 1)
        }
    }
}
