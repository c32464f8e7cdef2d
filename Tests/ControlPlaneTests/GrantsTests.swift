import Foundation
import Hummingbird
import Shared
import Testing

@testable import ControlPlane

@Suite(.timeLimit(.minutes(2)))
struct GrantsTests {
    @Test func aNewGrantShowsItsTokenURLsAndClientConfigurationOnce() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin, name: "RunPod GPUs")
            let policy = try await api.createPolicy(denyAllPolicy, by: admin)
            let created = try await api.createGrant(server: server, policy: policy, by: admin)
            #expect(created.status == .created)
            let id = try #require(created["id"]?.stringValue)
            let token = try #require(created["token"]?.stringValue)
            #expect(SecretToken.parse(token, as: .grant) != nil)
            #expect(created["gateway_url"] == .string("http://127.0.0.1:8081/mcp/\(server)"))
            #expect(created["secret_url"] == .string("http://127.0.0.1:8081/g/\(token)/mcp"))
            #expect(created["policy_id"] == .string(policy))
            #expect(created["status"] == "active")

            let config = try #require(created["client_config"])
            #expect(config["claude_code"]?["command"] == .string(
                "claude mcp add --transport http portcullis-runpod-gpus http://127.0.0.1:8081/mcp/\(server) --header 'Authorization: Bearer \(token)'"))
            #expect(config["cursor"]?["config"]?["mcpServers"]?["portcullis-runpod-gpus"]?["headers"]?["Authorization"] == .string("Bearer \(token)"))
            #expect(config["vscode"]?["config"]?["servers"]?["portcullis-runpod-gpus"]?["type"] == "http")
            #expect(config["claude_desktop"]?["config"]?["mcpServers"]?["portcullis-runpod-gpus"]?["env"]?["PORTCULLIS_AUTHORIZATION"] == .string("Bearer \(token)"))

            // Only the hash is stored, and no later answer carries the token.
            let stored: [UInt8] = try await database.query("SELECT token_hash FROM grants WHERE id = \(UUID(uuidString: id)!)")[0].decode("token_hash")
            #expect(stored == SecretToken.hash(of: token))
            let shown = try await api.send(.get, "/v1/grants/\(id)", key: admin.key)
            let listed = try await api.send(.get, "/v1/grants", key: admin.key)
            let audit = try await api.send(.get, "/v1/admin-audit", key: admin.key)
            for answer in [shown, listed, audit] {
                #expect(answer.json.map { !$0.serialized().contains(token) } == true)
            }
            #expect(shown["secret_url"] == nil)
            #expect(shown["token_hint"] == .string("pcs_gt_…" + token.suffix(4)))
            #expect(listed["items"]?.arrayValue?.map { $0["id"] } == [.string(id)])
        }
    }

    @Test func rotationIssuesANewTokenAndRevocationKeepsTheRow() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let created = try await api.createGrant(server: server, by: admin)
            let id = try #require(created["id"]?.stringValue)
            let oldToken = try #require(created["token"]?.stringValue)

            let rotated = try await api.send(.post, "/v1/grants/\(id)/rotate", key: admin.key)
            #expect(rotated.status == .ok)
            let newToken = try #require(rotated["token"]?.stringValue)
            #expect(newToken != oldToken)
            #expect(rotated["rotated_at"] != .null)
            #expect(rotated["client_config"] != nil)
            let hash: [UInt8] = try await database.query("SELECT token_hash FROM grants WHERE id = \(UUID(uuidString: id)!)")[0].decode("token_hash")
            #expect(hash == SecretToken.hash(of: newToken), "the old token's hash is gone")

            #expect(try await api.send(.delete, "/v1/grants/\(id)", key: admin.key).status == .noContent)
            let revoked = try await api.send(.get, "/v1/grants/\(id)", key: admin.key)
            #expect(revoked["status"] == "revoked")
            #expect(revoked["revoked_at"] != .null)
            #expect(try await api.send(.delete, "/v1/grants/\(id)", key: admin.key).status == .noContent)
            #expect(try await api.send(.post, "/v1/grants/\(id)/rotate", key: admin.key).status == .conflict)

            let changes: [String] = try await database.query("""
                SELECT op FROM config_changes WHERE entity_kind = 'grant' AND entity_id = \(UUID(uuidString: id)!) ORDER BY change
                """).map { try $0.decode("op") }
            #expect(changes == ["upsert", "upsert", "upsert"], "create, rotate, revoke; the second revoke changes nothing")
        }
    }

    @Test func policyManagersAttachPoliciesAdminsManageTheRest() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let manager = try await api.addMember("policy_manager", by: admin)
            let viewer = try await api.addMember("viewer", by: admin)
            let server = try await Fixtures(database: database).server(of: admin)
            let id = try #require(try await api.createGrant(server: server, by: admin)["id"]?.stringValue)
            let policy = try await api.createPolicy(denyAllPolicy, by: manager)

            let attached = try await api.send(.patch, "/v1/grants/\(id)", key: manager.key, json: ["policy_id": .string(policy)])
            #expect(attached.status == .ok)
            #expect(attached["policy_id"] == .string(policy))
            #expect(try await api.send(.patch, "/v1/grants/\(id)", key: manager.key, json: ["expires_at": "2099-01-01T00:00:00Z"]).status == .forbidden)
            let expiring = try await api.send(.patch, "/v1/grants/\(id)", key: admin.key, json: ["expires_at": "2099-01-01T00:00:00Z", "policy_id": nil])
            #expect(expiring["expires_at"] == "2099-01-01T00:00:00.000Z")
            #expect(expiring["policy_id"] == .null)

            #expect(try await api.send(.get, "/v1/grants/\(id)", key: viewer.key).status == .ok)
            #expect(try await api.send(.patch, "/v1/grants/\(id)", key: viewer.key, json: ["policy_id": .string(policy)]).status == .forbidden)
            let identity = try await api.createIdentity("bob", by: admin)
            for caller in [manager, viewer] {
                #expect(try await api.send(.post, "/v1/grants", key: caller.key, json: ["identity_id": .string(identity), "server_id": .string(server)]).status == .forbidden)
                #expect(try await api.send(.post, "/v1/grants/\(id)/rotate", key: caller.key).status == .forbidden)
                #expect(try await api.send(.delete, "/v1/grants/\(id)", key: caller.key).status == .forbidden)
            }
        }
    }

    @Test func badGrantBodiesAndForeignReferencesAreNamed() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let stranger = try await api.signup("Stranger")
            let fixtures = Fixtures(database: database)
            let server = try await fixtures.server(of: admin)
            let foreignServer = try await fixtures.server(of: stranger)
            let foreignIdentity = try await api.createIdentity(by: stranger)
            let foreignPolicy = try await api.createPolicy(denyAllPolicy, by: stranger)
            let identity = try await api.createIdentity(by: admin)

            let malformed = try await api.send(.post, "/v1/grants", key: admin.key, json: ["server_id": "nope", "expires_at": "2001-01-01T00:00:00Z"])
            #expect(Set(malformed.errorPointers) == ["/identity_id", "/server_id", "/expires_at"])
            let foreign = try await api.send(.post, "/v1/grants", key: admin.key, json: [
                "identity_id": .string(foreignIdentity), "server_id": .string(foreignServer), "policy_id": .string(foreignPolicy),
            ])
            #expect(foreign.status == .badRequest)
            #expect(Set(foreign.errorPointers) == ["/identity_id", "/server_id", "/policy_id"])

            let id = try #require(try await api.send(.post, "/v1/grants", key: admin.key, json: [
                "identity_id": .string(identity), "server_id": .string(server),
            ])["id"]?.stringValue)
            #expect(try await api.send(.patch, "/v1/grants/\(id)", key: admin.key, json: ["policy_id": .string(foreignPolicy)]).errorPointers == ["/policy_id"])

            for (method, path) in [(HTTPRequest.Method.get, "/v1/grants/\(id)"), (.post, "/v1/grants/\(id)/rotate"), (.delete, "/v1/grants/\(id)")] {
                #expect(try await api.send(method, path, key: stranger.key).status == .notFound)
            }
            #expect(try await api.send(.patch, "/v1/grants/\(id)", key: stranger.key, json: ["description": "x"]).status == .notFound)
            #expect(try await api.send(.get, "/v1/grants", key: stranger.key)["items"]?.arrayValue?.isEmpty == true)
        }
    }
}
