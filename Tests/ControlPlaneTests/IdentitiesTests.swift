import Foundation
import Shared
import Testing

@testable import ControlPlane

@Suite(.timeLimit(.minutes(2)))
struct IdentitiesTests {
    @Test func identitiesAreCreatedReadChangedAndDeleted() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let created = try await api.send(.post, "/v1/identities", key: admin.key, json: [
                "label": "alice-laptop", "description": "Alice's Claude Desktop", "metadata": ["team": "infra", "level": 3],
            ])
            #expect(created.status == .created)
            let id = try #require(created["id"]?.stringValue)
            #expect(created["metadata"]?["team"] == "infra")
            #expect(try await api.send(.get, "/v1/identities/\(id)", key: admin.key)["label"] == "alice-laptop")
            let changed = try await api.send(.patch, "/v1/identities/\(id)", key: admin.key, json: ["label": "alice-desktop", "description": nil])
            #expect(changed.status == .ok)
            #expect(changed["label"] == "alice-desktop")
            #expect(changed["description"] == .null)
            #expect(changed["metadata"]?["level"] == 3)
            let list = try await api.send(.get, "/v1/identities", key: admin.key)
            #expect(list["items"]?.arrayValue?.map { $0["id"]?.stringValue } == [id])
            #expect(try await api.send(.delete, "/v1/identities/\(id)", key: admin.key).status == .noContent)
            #expect(try await api.send(.get, "/v1/identities/\(id)", key: admin.key).status == .notFound)
            #expect(try await api.send(.delete, "/v1/identities/\(id)", key: admin.key).status == .notFound)
        }
    }

    @Test func labelsAreUniquePerAccount() async throws {
        try await withAPI { api, _ in
            let first = try await api.signup()
            let second = try await api.signup()
            #expect(try await api.send(.post, "/v1/identities", key: first.key, json: ["label": "ci-runner"]).status == .created)
            #expect(try await api.send(.post, "/v1/identities", key: first.key, json: ["label": "ci-runner"]).status == .conflict)
            #expect(try await api.send(.post, "/v1/identities", key: second.key, json: ["label": "ci-runner"]).status == .created)
        }
    }

    @Test func everyRoleReadsOnlyAdminsWrite() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let id = try #require(try await api.send(.post, "/v1/identities", key: admin.key, json: ["label": "bot"])["id"]?.stringValue)
            for role in ["policy_manager", "viewer"] {
                let caller = try await api.addMember(role, by: admin)
                #expect(try await api.send(.get, "/v1/identities", key: caller.key).status == .ok)
                #expect(try await api.send(.get, "/v1/identities/\(id)", key: caller.key).status == .ok)
                #expect(try await api.send(.post, "/v1/identities", key: caller.key, json: ["label": "x"]).status == .forbidden)
                #expect(try await api.send(.patch, "/v1/identities/\(id)", key: caller.key, json: ["label": "x"]).status == .forbidden)
                #expect(try await api.send(.delete, "/v1/identities/\(id)", key: caller.key).status == .forbidden)
            }
        }
    }

    @Test func badIdentityBodiesNameEachProblem() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let bad = try await api.send(.post, "/v1/identities", key: admin.key, json: ["label": 7, "metadata": ["a", "b"], "colour": "red"])
            #expect(bad.status == .badRequest)
            #expect(Set(bad.errorPointers) == ["/label", "/metadata", "/colour"])
            let id = try #require(try await api.send(.post, "/v1/identities", key: admin.key, json: ["label": "bot"])["id"]?.stringValue)
            let nullLabel = try await api.send(.patch, "/v1/identities/\(id)", key: admin.key, json: ["label": nil, "metadata": nil])
            #expect(nullLabel.status == .ok, "null for a non-nullable optional field reads as absent")
            let badPatch = try await api.send(.patch, "/v1/identities/\(id)", key: admin.key, json: ["description": 5])
            #expect(badPatch.errorPointers == ["/description"])
        }
    }
}
