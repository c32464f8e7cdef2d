import Foundation
import Shared
import Testing

@testable import ControlPlane

@Suite(.timeLimit(.minutes(2)))
struct AccountTests {
    @Test func adminsRenameTheAccountAndSetTheApprovalWebhook() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup("Acme")
            let shown = try await api.send(.get, "/v1/account", key: admin.key)
            #expect(shown["approval_webhook_url"] == .null)
            let changed = try await api.send(.patch, "/v1/account", key: admin.key, json: ["name": "Acme Ltd", "approval_webhook_url": "https://hooks.example.com/portcullis"])
            #expect(changed.status == .ok)
            #expect(changed["name"] == "Acme Ltd")
            #expect(changed["slug"] == shown["slug"])
            #expect(changed["approval_webhook_url"] == "https://hooks.example.com/portcullis")
            let cleared = try await api.send(.patch, "/v1/account", key: admin.key, json: ["approval_webhook_url": nil])
            #expect(cleared["approval_webhook_url"] == .null)
            #expect(cleared["name"] == "Acme Ltd")
        }
    }

    @Test func everyRoleReadsTheAccountOnlyAdminsChangeIt() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            for role in ["policy_manager", "viewer"] {
                let caller = try await api.addMember(role, by: admin)
                #expect(try await api.send(.get, "/v1/account", key: caller.key).status == .ok)
                #expect(try await api.send(.patch, "/v1/account", key: caller.key, json: ["name": "Mine"]).status == .forbidden)
            }
        }
    }

    @Test func theWebhookMustBeAnHTTPURL() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            for url in ["ftp://example.com/x", "not a url", "/relative"] {
                let response = try await api.send(.patch, "/v1/account", key: admin.key, json: ["approval_webhook_url": .string(url)])
                #expect(response.status == .badRequest && response.errorPointers == ["/approval_webhook_url"], "\(url)")
            }
            #expect(try await api.send(.patch, "/v1/account", key: admin.key, json: ["slug": "mine"]).errorPointers == ["/slug"])
        }
    }

    @Test func onlyAdminsSeeTheApprovalWebhookSecretWorkersSignWith() async throws {
        let keyRing = try SecretKeyRing(parsing: "v1:" + Data(repeating: 5, count: 32).base64EncodedString())
        try await withAPI(configure: { $0.approvalWebhookSigning = ApprovalWebhookSigning(keyRing: keyRing) }) { api, _ in
            let admin = try await api.signup()
            let account = try #require(UUID(uuidString: admin.accountID))
            let expected = ApprovalWebhookSigning(keyRing: keyRing).secret(forAccount: account)
            #expect(try await api.send(.get, "/v1/account", key: admin.key)["approval_webhook_secret"]?.stringValue == expected)
            let changed = try await api.send(.patch, "/v1/account", key: admin.key, json: ["approval_webhook_url": "https://hooks.example.com/p"])
            #expect(changed["approval_webhook_secret"]?.stringValue == expected)
            for role in ["policy_manager", "viewer"] {
                let caller = try await api.addMember(role, by: admin)
                let shown = try await api.send(.get, "/v1/account", key: caller.key)
                #expect(shown.status == .ok && shown["approval_webhook_url"] == "https://hooks.example.com/p")
                #expect(shown["approval_webhook_secret"] == nil, "\(role)")
            }
            // Another account has another secret; the admin audit log never holds one.
            let other = try await api.signup("Globex")
            #expect(try await api.send(.get, "/v1/account", key: other.key)["approval_webhook_secret"]?.stringValue != expected)
            let audit = try await api.send(.get, "/v1/admin-audit", key: admin.key)
            #expect(audit.status == .ok)
            #expect(audit.json.map { !$0.serialized().contains(expected) } == true)
        }
    }

    @Test func withoutSecretKeysTheSecretIsNull() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let shown = try await api.send(.get, "/v1/account", key: admin.key)
            #expect(shown.json?.objectValue?.keys.contains("approval_webhook_secret") == true)
            #expect(shown["approval_webhook_secret"] == .null)
        }
    }
}
