import Foundation
import Hummingbird
import Shared
import Testing

@testable import ControlPlane
import JSON

/// Issue 4: two walls between accounts. Through the API another account's objects are 404 (never
/// 403); and inside a tenant transaction, RLS alone hides them from a query with no account filter.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialTenantIsolationTests {
    @Test func anotherAccountsObjectsAreNotFoundForEveryKind() async throws {
        try await withAPI { api, _ in
            let owner = try await api.signup("Owner")
            let intruder = try await api.signup("Intruder")
            let identity = try #require(try await api.send(.post, "/v1/identities", key: owner.key, json: ["label": "secret-bot"])["id"]?.stringValue)
            let member = try await api.addMember("viewer", by: owner)
            let apiKey = try #require(try await api.send(.post, "/v1/api-keys", key: owner.key, json: [:])["id"]?.stringValue)

            let attempts: [(HTTPRequest.Method, String, JSONValue?)] = [
                (.get, "/v1/identities/\(identity)", nil),
                (.patch, "/v1/identities/\(identity)", ["label": "mine"]),
                (.delete, "/v1/identities/\(identity)", nil),
                (.patch, "/v1/members/\(member.memberID)", ["role": "admin"]),
                (.delete, "/v1/members/\(member.memberID)", nil),
                (.delete, "/v1/api-keys/\(apiKey)", nil),
            ]
            for (method, path, body) in attempts {
                let response = body == nil
                    ? try await api.send(method, path, key: intruder.key)
                    : try await api.send(method, path, key: intruder.key, json: body!)
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(response.isProblem)
            }
            // Nothing of the owner shows in the intruder's lists, and nothing changed.
            for list in ["/v1/identities", "/v1/members", "/v1/api-keys", "/v1/admin-audit"] {
                let items = try await api.send(.get, list, key: intruder.key)["items"]?.arrayValue ?? []
                let text = items.map { $0.serialized() }.joined()
                #expect(!text.contains(owner.memberID) && !text.contains(identity), "\(list)")
            }
            #expect(try await api.send(.get, "/v1/identities/\(identity)", key: owner.key)["label"] == "secret-bot")
            #expect(try await api.send(.get, "/v1/account", key: member.key).status == .ok)
            #expect(try await api.send(.get, "/v1/account", key: intruder.key)["id"]?.stringValue == intruder.accountID)
        }
    }

    @Test func rowLevelSecurityAloneHidesOtherAccounts() async throws {
        try await withAPI { api, database in
            let first = try await api.signup("First")
            let second = try await api.signup("Second")
            for caller in [first, second] {
                _ = try await api.send(.post, "/v1/identities", key: caller.key, json: ["label": "shared-name"])
            }
            let tenants = TenantDatabase(database: database)
            let firstID = try #require(UUID(uuidString: first.accountID))
            let secondID = try #require(UUID(uuidString: second.accountID))
            // Deliberately no account filter: only the transaction's RLS setting stands between accounts.
            try await tenants.transaction(account: firstID) { tx in
                for table in ["accounts", "members", "api_keys", "identities", "admin_audit"] {
                    let column = table == "accounts" ? "id" : "account_id"
                    let rows = try await tx.query(SQLQuery(unsafeSQL: "SELECT DISTINCT \(column) AS account FROM \(table)"))
                    #expect(try rows.map { try $0.decode("account", as: UUID.self) } == [firstID], "\(table)")
                }
                let updated = try await tx.execute("UPDATE identities SET description = 'touched'")
                #expect(updated.affectedRows == 1)
            }
            await #expect(throws: DatabaseError.self) {
                try await tenants.transaction(account: firstID) { tx in
                    try await tx.execute("INSERT INTO identities (account_id, label) VALUES (\(secondID), 'smuggled')")
                }
            }
            // Owner's view (no RLS): the second account's identity was not touched.
            let untouched = try await database.query("SELECT description FROM identities WHERE account_id = \(secondID)")
            #expect(try untouched.first?.decode("description", as: String?.self) == nil)
        }
    }

    @Test func withoutAnAccountTheApplicationRoleSeesNoTenantRow() async throws {
        try await withAPI { api, database in
            _ = try await api.signup()
            let counts = try await TenantDatabase(database: database).transactionWithoutAccount { session in
                try await session.query("SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM members) + (SELECT count(*) FROM api_keys) AS n")
            }
            #expect(try counts[0].decode("n", as: Int.self) == 0)
        }
    }
}
