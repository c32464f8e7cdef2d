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
}
