import Foundation
import Shared
import Testing

@testable import ControlPlane

@Suite(.timeLimit(.minutes(2)))
struct AdminAuditTests {
    @Test func everyChangeIsRecordedWithActorBeforeAndAfter() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let identity = try await api.send(.post, "/v1/identities", key: admin.key, json: ["label": "bot"])
            let id = try #require(identity["id"]?.stringValue)
            _ = try await api.send(.patch, "/v1/identities/\(id)", key: admin.key, json: ["label": "robot"])
            _ = try await api.send(.delete, "/v1/identities/\(id)", key: admin.key)
            _ = try await api.send(.patch, "/v1/account", key: admin.key, json: ["name": "Renamed"])
            let log = try await api.send(.get, "/v1/admin-audit", key: admin.key)
            #expect(log.status == .ok)
            let items = try #require(log["items"]?.arrayValue)
            // Newest first.
            #expect(items.map { "\($0["action"]?.stringValue ?? "") \($0["object_type"]?.stringValue ?? "")" }
                == ["update account", "delete identity", "update identity", "create identity", "signup account"])
            let update = items[2]
            #expect(update["object_id"]?.stringValue == id)
            #expect(update["before"]?["label"] == "bot")
            #expect(update["after"]?["label"] == "robot")
            #expect(update["actor"]?["member_id"]?.stringValue == admin.memberID)
            #expect(update["actor"]?["label"]?.stringValue == admin.email)
            #expect(items[1]["after"] == .null && items[1]["before"]?["label"] == "robot")
        }
    }

    @Test func secretsNeverReachTheLog() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let member = try await api.addMember("viewer", by: admin)
            let created = try await api.send(.post, "/v1/api-keys", key: admin.key, json: ["name": "ci"])
            let token = try #require(created["token"]?.stringValue)
            _ = try await api.send(.patch, "/v1/members/\(member.memberID)", key: admin.key, json: ["password": "a brand new password"])
            let rows = try await database.query("SELECT coalesce(before::text, '') || coalesce(after::text, '') AS body FROM admin_audit")
            let everything = try rows.map { try $0.decode("body", as: String.self) }.joined()
            for secret in [token, admin.key, member.key, "correct horse battery", "a brand new password", "pbkdf2"] {
                #expect(!everything.contains(secret))
            }
            #expect(everything.contains("password_changed"))
            let actions = try await api.send(.get, "/v1/admin-audit", key: admin.key)["items"]?.arrayValue?.compactMap { $0["action"]?.stringValue }
            #expect(actions?.contains("login") == true)
            #expect(actions?.contains("create") == true)
        }
    }

    @Test func onlyAdminsReadTheLogAndItIsPaged() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            for index in 0..<3 { _ = try await api.send(.post, "/v1/identities", key: admin.key, json: ["label": .string("i\(index)")]) }
            let first = try await api.send(.get, "/v1/admin-audit?limit=2", key: admin.key)
            let cursor = try #require(first["next_cursor"]?.stringValue)
            let second = try await api.send(.get, "/v1/admin-audit?limit=2&cursor=\(cursor)", key: admin.key)
            let ids = (first["items"]?.arrayValue ?? []) + (second["items"]?.arrayValue ?? [])
            #expect(Set(ids.compactMap { $0["id"]?.stringValue }).count == 4)
            for role in ["policy_manager", "viewer"] {
                let caller = try await api.addMember(role, by: admin)
                #expect(try await api.send(.get, "/v1/admin-audit", key: caller.key).status == .forbidden)
            }
        }
    }
}
