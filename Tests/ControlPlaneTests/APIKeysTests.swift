import Foundation
import Shared
import Testing

@testable import ControlPlane

@Suite(.timeLimit(.minutes(2)))
struct APIKeysTests {
    @Test func aNewKeyIsShownOnceAndListedWithoutItsSecret() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let created = try await api.send(.post, "/v1/api-keys", key: admin.key, json: ["name": "ci", "expires_at": "2099-01-01T00:00:00Z"])
            #expect(created.status == .created)
            let token = try #require(created["token"]?.stringValue)
            #expect(created["name"] == "ci")
            #expect(created["member_id"]?.stringValue == admin.memberID)
            #expect(try await api.send(.get, "/v1/account", key: token).status == .ok)
            let list = try await api.send(.get, "/v1/api-keys", key: admin.key)
            let items = try #require(list["items"]?.arrayValue)
            #expect(items.count == 2)
            for item in items {
                #expect(item["token"] == nil && item["token_hash"] == nil)
                #expect(item["hint"]?.stringValue?.hasPrefix("pcs_ak_…") == true)
            }
            let listed = try #require(items.first { $0["name"] == "ci" })
            #expect(listed["hint"]?.stringValue == "pcs_ak_…" + token.suffix(4))
            #expect(listed["last_used_at"]?.stringValue != nil, "the key was used for GET /v1/account")
        }
    }

    @Test func aRevokedKeyStopsWorking() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let created = try await api.send(.post, "/v1/api-keys", key: admin.key, json: [:])
            let token = try #require(created["token"]?.stringValue)
            let id = try #require(created["id"]?.stringValue)
            #expect(try await api.send(.delete, "/v1/api-keys/\(id)", key: token).status == .noContent)
            let refused = try await api.send(.get, "/v1/account", key: token)
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.wwwAuthenticate] == "Bearer")
            #expect(try await api.send(.delete, "/v1/api-keys/\(id)", key: admin.key).status == .noContent)
            let listed = try await api.send(.get, "/v1/api-keys", key: admin.key)
            #expect(listed["items"]?.arrayValue?.first { $0["id"]?.stringValue == id }?["revoked_at"]?.isNull == false)
        }
    }

    @Test func everyRoleManagesItsOwnKeysButOnlyAdminsRevokeOthers() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let viewer = try await api.addMember("viewer", by: admin)
            let manager = try await api.addMember("policy_manager", by: admin)
            let own = try await api.send(.post, "/v1/api-keys", key: viewer.key, json: ["name": "mine"])
            #expect(own.status == .created)
            let ownID = try #require(own["id"]?.stringValue)
            #expect(try await api.send(.delete, "/v1/api-keys/\(ownID)", key: manager.key).status == .forbidden)
            #expect(try await api.send(.delete, "/v1/api-keys/\(ownID)", key: viewer.key).status == .noContent)
            let adminKeys = try await api.send(.get, "/v1/api-keys?member_id=\(admin.memberID)", key: viewer.key)
            let adminKeyID = try #require(adminKeys["items"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(adminKeys["items"]?.arrayValue?.allSatisfy { $0["member_id"]?.stringValue == admin.memberID } == true)
            #expect(try await api.send(.delete, "/v1/api-keys/\(adminKeyID)", key: viewer.key).status == .forbidden)
            let managerKeys = try await api.send(.get, "/v1/api-keys?member_id=\(manager.memberID)", key: admin.key)
            let managerKeyID = try #require(managerKeys["items"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(try await api.send(.delete, "/v1/api-keys/\(managerKeyID)", key: admin.key).status == .noContent)
            #expect(try await api.send(.get, "/v1/account", key: manager.key).status == .unauthorized)
        }
    }

    @Test func badKeyRequestsAreRefused() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let past = try await api.send(.post, "/v1/api-keys", key: admin.key, json: ["expires_at": "2001-01-01T00:00:00Z"])
            #expect(past.status == .badRequest && past.errorPointers == ["/expires_at"])
            let notADate = try await api.send(.post, "/v1/api-keys", key: admin.key, json: ["expires_at": "tomorrow"])
            #expect(notADate.errorPointers == ["/expires_at"])
            #expect(try await api.send(.delete, "/v1/api-keys/not-a-uuid", key: admin.key).status == .notFound)
            #expect(try await api.send(.delete, "/v1/api-keys/\(UUID())", key: admin.key).status == .notFound)
            #expect(try await api.send(.get, "/v1/api-keys?member_id=nope", key: admin.key).status == .badRequest)
        }
    }

    @Test func anExpiredKeyIsRefused() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let created = try await api.send(.post, "/v1/api-keys", key: admin.key, json: ["expires_at": "2099-01-01T00:00:00Z"])
            let token = try #require(created["token"]?.stringValue)
            let id = try #require(created["id"]?.stringValue.flatMap(UUID.init(uuidString:)))
            try await database.execute("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = \(id)")
            #expect(try await api.send(.get, "/v1/account", key: token).status == .unauthorized)
        }
    }
}
