import Crypto
import Foundation
import Shared
import Testing

@testable import ControlPlane

/// Issue 10 items 22 and 23: credentials that may be known to someone else stop working, keys do
/// not live forever, stored secrets follow the active key, and the API reveals nothing about other
/// accounts' members.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialCredentialTests {
    @Test func changingAMembersPasswordRevokesTheirKeys() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let member = try await api.addMember("viewer", by: admin)
            #expect(try await api.send(.get, "/v1/account", key: member.key).status == .ok)
            let changed = try await api.send(.patch, "/v1/members/\(member.memberID)", key: admin.key, json: ["password": "a brand new password"])
            #expect(changed.status == .ok)
            #expect(try await api.send(.get, "/v1/account", key: member.key).status == .unauthorized)
            let login = try await api.send(.post, "/v1/login", json: ["email": .string(member.email), "password": "a brand new password"])
            #expect(login.status == .ok)
        }
    }

    @Test func changingYourOwnPasswordKeepsTheCallingKeyAndRevokesTheOthers() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let other = try #require(try await api.send(.post, "/v1/api-keys", key: admin.key, json: ["name": "laptop"])["token"]?.stringValue)
            let changed = try await api.send(.patch, "/v1/members/\(admin.memberID)", key: admin.key, json: ["password": "a brand new password"])
            #expect(changed.status == .ok)
            #expect(try await api.send(.get, "/v1/account", key: admin.key).status == .ok)
            #expect(try await api.send(.get, "/v1/account", key: other).status == .unauthorized)
        }
    }

    @Test func apiKeysGetTheMaximumLifetimeAndCannotAskForMore() async throws {
        try await withAPI(configure: { $0.apiKeyMaxLifetime = .seconds(30 * 86_400) }) { api, _ in
            let admin = try await api.signup()
            let created = try await api.send(.post, "/v1/api-keys", key: admin.key, json: ["name": "ci"])
            #expect(created.status == .created)
            let expiresAt = try #require(created["expires_at"]?.stringValue.flatMap { try? Date($0, strategy: .iso8601) })
            #expect(abs(expiresAt.timeIntervalSinceNow - 30 * 86_400) < 3600)
            let tooLong = try await api.send(.post, "/v1/api-keys", key: admin.key, json: ["expires_at": "2099-01-01T00:00:00Z"])
            #expect(tooLong.status == .badRequest && tooLong.errorPointers == ["/expires_at"])
            let keys = try await api.send(.get, "/v1/api-keys", key: admin.key)
            #expect(keys["items"]?.arrayValue?.allSatisfy { $0["expires_at"] != .null } == true)
        }
    }

    @Test func addingAMemberWhoseEmailBelongsToAnotherAccountAnswersAsForAFreshEmail() async throws {
        try await withAPI { api, _ in
            let elsewhere = try await api.signup("Elsewhere", email: "shared@example.com")
            let admin = try await api.signup("Here")
            let taken = try await api.send(.post, "/v1/members", key: admin.key, json: ["email": "Shared@example.com", "password": "another password!", "role": "viewer"])
            let fresh = try await api.send(.post, "/v1/members", key: admin.key, json: ["email": "fresh@example.com", "password": "another password!", "role": "viewer"])
            #expect(taken.status == .created && fresh.status == .created)
            #expect(Set(taken.json?.objectValue?.keys ?? []) == Set(fresh.json?.objectValue?.keys ?? []))
            // Within one account an email is still unique.
            let again = try await api.send(.post, "/v1/members", key: admin.key, json: ["email": "fresh@example.com", "password": "another password!", "role": "viewer"])
            #expect(again.status == .conflict)

            // Each member signs in with their own password; the account's slug picks one explicitly.
            let first = try await api.send(.post, "/v1/login", json: ["email": "shared@example.com", "password": "correct horse battery"])
            #expect(first["account"]?["id"] == .string(elsewhere.accountID))
            let second = try await api.send(.post, "/v1/login", json: ["email": "shared@example.com", "password": "another password!"])
            #expect(second["account"]?["id"] == .string(admin.accountID))
            let slug = try #require(try await api.send(.get, "/v1/account", key: admin.key)["slug"]?.stringValue)
            let named = try await api.send(.post, "/v1/login", json: ["email": "shared@example.com", "password": "correct horse battery", "account": .string(slug)])
            #expect(named.status == .unauthorized)
        }
    }

    /// The admin saw hash A; a rediscovery commits definition B while the approval waits for the
    /// row. The approval must not approve B.
    @Test func approvingAToolDefinitionThatChangedMeanwhileIsAConflict() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let fixtures = Fixtures(database: database)
            let server = try await fixtures.server(of: admin)
            try await fixtures.tool("create-pod", server: server, of: admin, risk: "destructive", approved: false)
            // The fixture's rows are for simulations; the catalog API needs a source it knows.
            try await database.execute("UPDATE tools SET risk_source = 'name' WHERE server_id = \(UUID(uuidString: server)!)")
            let seen = "hash-now"  // the fixture's definition hash, as the admin saw it
            let approval = try await database.transaction { discovery in
                // The rediscovery holds the row (changed, not yet committed) ...
                try await discovery.execute("UPDATE tools SET definition_hash = 'hash-rug-pull' WHERE server_id = \(UUID(uuidString: server)!)")
                let approving = Task {
                    try await api.send(.patch, "/v1/servers/\(server)/tools/create-pod", key: admin.key, json: ["approve_hash": .string(seen)])
                }
                // ... until the approval is waiting for it, then commits.
                while try await database.query("""
                    SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE tools SET approved_hash%'
                    """).isEmpty {
                    try await Task.sleep(for: .milliseconds(20))
                }
                return approving
            }
            let answer = try await approval.value
            #expect(answer.status == .conflict && answer.isProblem)
            let approved = try await database.query("SELECT approved_hash FROM tools WHERE server_id = \(UUID(uuidString: server)!)")
            #expect(try approved[0].decode("approved_hash", as: String?.self) != "hash-rug-pull")
        }
    }

    @Test func resealMovesEveryStoredCredentialToTheActiveKey() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let account = UUID(uuidString: admin.accountID)!
            let oldRing = try SecretKeyRing(parsing: testSecretKeys)
            let newKey = "v2:" + Data((33...64).map { UInt8($0) }).base64EncodedString()
            let rotated = try SecretKeyRing(parsing: newKey + "," + testSecretKeys)
            let server = try #require(UUID(uuidString: try await Fixtures(database: database).server(of: admin)))
            let auth = UpstreamAuth.bearer(token: "upstream-secret")
            let sealed = try #require(try auth.sealed(with: SecretSealer(keyRing: oldRing, purpose: .upstreamCredentials), account: account, server: server))
            try await database.execute("""
                UPDATE servers SET auth_type = 'bearer', credentials_ciphertext = \(sealed.storedBytes), credentials_key_version = 'v1' WHERE id = \(server)
                """)

            #expect(try await SecretResealing(database: database, keyRing: rotated).run(logger: .init(label: "test")) == 1)
            #expect(try await SecretResealing(database: database, keyRing: rotated).run(logger: .init(label: "test")) == 0)

            let row = try await database.query("SELECT credentials_ciphertext, credentials_key_version FROM servers WHERE id = \(server)")[0]
            #expect(try row.decode("credentials_key_version", as: String.self) == "v2")
            // It opens with the new key alone: the old one can leave the ring.
            let newOnly = SecretSealer(keyRing: try SecretKeyRing(parsing: newKey), purpose: .upstreamCredentials)
            let opened = try UpstreamAuth(storedType: "bearer", sealedBytes: try row.decode("credentials_ciphertext"), sealer: newOnly, account: account, server: server)
            #expect(opened == auth)
            let changes = try await database.query("SELECT 1 FROM config_changes WHERE entity_kind = 'server' AND entity_id = \(server)")
            #expect(!changes.isEmpty)
        }
    }

    /// Issue 14 leftover 6: the OAuth signing keys' private keys move too, still bound to their
    /// `kid`, and the key signs tokens under the new secret key alone.
    @Test func resealMovesTheOAuthSigningKeysToTheActiveKey() async throws {
        try await withOAuthAPI { _, database in
            let oldRing = try SecretKeyRing(parsing: testSecretKeys)
            let newKey = "v2:" + Data((33...64).map { UInt8($0) }).base64EncodedString()
            let rotated = try SecretKeyRing(parsing: newKey + "," + testSecretKeys)
            let before = try await OAuthSigningKeyStore(database: database, sealer: SecretSealer(keyRing: oldRing, purpose: .oauthSigningKeys), issuer: testIssuer)
                .current()

            #expect(try await SecretResealing(database: database, keyRing: rotated).run(logger: .init(label: "test")) == 1)
            #expect(try await SecretResealing(database: database, keyRing: rotated).run(logger: .init(label: "test")) == 0)

            let versions = try await database.query("SELECT private_key_key_version FROM oauth_signing_keys").map { try $0.decode("private_key_key_version", as: String.self) }
            #expect(versions == ["v2"])
            let newOnly = SecretSealer(keyRing: try SecretKeyRing(parsing: newKey), purpose: .oauthSigningKeys)
            let after = try await OAuthSigningKeyStore(database: database, sealer: newOnly, issuer: testIssuer).current()
            #expect(after.kid == before.kid)
            #expect(after.privateKey.rawRepresentation == before.privateKey.rawRepresentation)
        }
    }
}
