import Foundation
import Shared
import Testing

@testable import ControlPlane

@Suite(.timeLimit(.minutes(2)))
struct ApprovalsTests {
    /// An admin and a grant with one pending approval request.
    private func setUp(_ api: APIClient, _ database: Database) async throws -> (Caller, grant: String, approval: String) {
        let admin = try await api.signup()
        let server = try await Fixtures(database: database).server(of: admin)
        let grant = try #require(try await api.createGrant(server: server, by: admin)["id"]?.stringValue)
        let approval = try await Fixtures(database: database).approval(grant: grant, of: admin)
        return (admin, grant, approval)
    }

    @Test func pendingApprovalsAreListedAndShown() async throws {
        try await withAPI { api, database in
            let (admin, grant, approval) = try await setUp(api, database)
            let expired = try await Fixtures(database: database).expiredApproval(grant: grant, of: admin)
            let pending = try await api.send(.get, "/v1/approvals?status=pending", key: admin.key)
            #expect(pending["items"]?.arrayValue?.map { $0["id"] } == [.string(approval)])
            let item = try #require(pending["items"]?.arrayValue?.first)
            #expect(item["grant_id"] == .string(grant))
            #expect(item["tool"] == "create-pod")
            #expect(item["status"] == "pending")
            #expect(item["arguments"]?["gpuCount"] == 2)
            #expect(item["rule"] == "/tools/create-pod/approval")
            #expect(item["arguments_hash"]?.stringValue?.isEmpty == false)
            #expect(try await api.send(.get, "/v1/approvals?status=expired", key: admin.key)["items"]?.arrayValue?.map { $0["id"] } == [.string(expired)])
            #expect(try await api.send(.get, "/v1/approvals", key: admin.key)["items"]?.arrayValue?.count == 2)
            #expect(try await api.send(.get, "/v1/approvals/\(approval)", key: admin.key)["status"] == "pending")
            #expect(try await api.send(.get, "/v1/approvals?status=maybe", key: admin.key).status == .badRequest)
        }
    }

    @Test func approvingNotifiesWaitingWorkersOnCommit() async throws {
        try await withAPI { api, database in
            let (admin, _, approval) = try await setUp(api, database)
            var events = database.listen(to: [ApprovalStore.channel]).makeAsyncIterator()
            #expect(try await events.next() == .listening)
            let approved = try await api.send(.post, "/v1/approvals/\(approval)/approve", key: admin.key, json: ["reason": "looks fine"])
            #expect(approved.status == .ok)
            #expect(approved["status"] == "approved")
            #expect(approved["reason"] == "looks fine")
            #expect(approved["decided_by"] == .string(admin.memberID))
            guard case .notification(let notification) = try await events.next() else { Issue.record("no notification"); return }
            #expect(notification.payload == approval)
            #expect(try await api.send(.post, "/v1/approvals/\(approval)/deny", key: admin.key).status == .conflict)
        }
    }

    @Test func denyingNeedsNoBodyAndExpiredRequestsCannotBeDecided() async throws {
        try await withAPI { api, database in
            let (admin, grant, approval) = try await setUp(api, database)
            let denied = try await api.send(.post, "/v1/approvals/\(approval)/deny", key: admin.key)
            #expect(denied.status == .ok)
            #expect(denied["status"] == "denied")
            #expect(try await api.send(.post, "/v1/approvals/\(approval)/approve", key: admin.key).status == .conflict)
            let expired = try await Fixtures(database: database).expiredApproval(grant: grant, of: admin)
            let late = try await api.send(.post, "/v1/approvals/\(expired)/approve", key: admin.key)
            #expect(late.status == .conflict)
            #expect(late["detail"]?.stringValue?.contains("expired") == true)
            #expect(try await api.send(.post, "/v1/approvals/\(approval)/deny", key: admin.key, json: ["reason": 5]).errorPointers == ["/reason"])
        }
    }

    @Test func policyManagersDecideViewersOnlyRead() async throws {
        try await withAPI { api, database in
            let (admin, grant, approval) = try await setUp(api, database)
            let viewer = try await api.addMember("viewer", by: admin)
            let manager = try await api.addMember("policy_manager", by: admin)
            #expect(try await api.send(.get, "/v1/approvals/\(approval)", key: viewer.key).status == .ok)
            #expect(try await api.send(.post, "/v1/approvals/\(approval)/approve", key: viewer.key).status == .forbidden)
            #expect(try await api.send(.post, "/v1/approvals/\(approval)/approve", key: manager.key).status == .ok)
            let second = try await Fixtures(database: database).approval(grant: grant, of: admin, tool: "stop-pod")
            #expect(try await api.send(.post, "/v1/approvals/\(second)/deny", key: manager.key).status == .ok)
        }
    }

    @Test func anotherAccountsApprovalIsNotFound() async throws {
        try await withAPI { api, database in
            let (_, _, approval) = try await setUp(api, database)
            let stranger = try await api.signup("Stranger")
            #expect(try await api.send(.get, "/v1/approvals/\(approval)", key: stranger.key).status == .notFound)
            #expect(try await api.send(.post, "/v1/approvals/\(approval)/approve", key: stranger.key).status == .notFound)
            #expect(try await api.send(.post, "/v1/approvals/\(approval)/deny", key: stranger.key).status == .notFound)
            #expect(try await api.send(.get, "/v1/approvals", key: stranger.key)["items"]?.arrayValue?.isEmpty == true)
        }
    }
}
