import Foundation
import Hummingbird
import Shared
import TestSupport
import Testing

@testable import ControlPlane
import JSON

/// Issue 14 item 5: `/v1/identities/{id}/credentials/{serverId}`, each identity's own sealed
/// upstream credential for a server, and the server's `credential_mode`.
@Suite(.timeLimit(.minutes(2)))
struct IdentityCredentialsTests {
    static let tools = [FakeCatalogUpstream.tool("list-pods")]

    struct Setup {
        let admin: Caller
        let server: String
        let identity: String
    }

    static func setUp(_ api: APIClient, upstream: FakeCatalogUpstream, mode: String = "per_identity") async throws -> Setup {
        let admin = try await api.signup()
        let server = try await api.send(.post, "/v1/servers", key: admin.key, json: [
            "name": "runpod", "url": .string(upstream.url), "auth": ["type": "bearer", "token": "shared-secret"], "credential_mode": .string(mode),
        ])
        #expect(server.status == .created && server["credential_mode"] == .string(mode))
        let identity = try await api.send(.post, "/v1/identities", key: admin.key, json: ["label": "alice"])
        return Setup(admin: admin, server: server.objectID, identity: identity.objectID)
    }

    @Test func anAdminSetsReplacesShowsAndRemovesAnIdentitysCredentialAndTheSecretIsNeverShown() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let setup = try await Self.setUp(api, upstream: upstream)
                let path = "/v1/identities/\(setup.identity)/credentials/\(setup.server)"
                let created = try await api.send(.put, path, key: setup.admin.key, json: ["auth": ["type": "bearer", "token": "alice-secret"]])
                #expect(created.status == .created)
                #expect(created["auth"] == ["type": "bearer"] && created["source"] == "static" && created["expires_at"] == .null)
                #expect(created["identity_id"] == .string(setup.identity) && created["server_id"] == .string(setup.server))

                let replaced = try await api.send(.put, path, key: setup.admin.key, json: [
                    "auth": ["type": "headers", "headers": ["X-Api-Key": "alice-key"]],
                ])
                #expect(replaced.status == .ok && replaced["auth"] == ["type": "headers"])
                #expect(try await api.send(.get, path, key: setup.admin.key)["auth"] == ["type": "headers"])
                let list = try await api.send(.get, "/v1/identities/\(setup.identity)/credentials", key: setup.admin.key)
                #expect(list["items"]?.arrayValue?.map { $0["server_id"] } == [.string(setup.server)])

                let audit = try await api.send(.get, "/v1/admin-audit?limit=100", key: setup.admin.key)
                #expect(audit.status == .ok)
                #expect(audit["items"]?.arrayValue?.contains { $0["object_type"] == "identity_credential" } == true)
                for text in [created.bodyText, replaced.bodyText, list.bodyText, audit.bodyText] {
                    #expect(!text.contains("alice-secret") && !text.contains("alice-key"))
                }

                // Stored sealed, bound to the identity: it opens there and nowhere else.
                let row = try #require(try await database.query("SELECT credentials_ciphertext FROM identity_credentials").first)
                let sealed = try SealedSecret(storedBytes: try row.decode("credentials_ciphertext"))
                let sealer = SecretSealer(keyRing: try SecretKeyRing(parsing: testSecretKeys), purpose: .upstreamCredentials)
                let (account, server, identity) = (UUID(uuidString: setup.admin.accountID)!, UUID(uuidString: setup.server)!, UUID(uuidString: setup.identity)!)
                let opened = try sealer.open(sealed, boundTo: UpstreamAuth.binding(account: account, server: server, identity: identity))
                #expect(String(decoding: opened, as: UTF8.self).contains("alice-key"))
                #expect(throws: SecretSealingError.authenticationFailed) { try sealer.open(sealed, boundTo: UpstreamAuth.binding(account: account, server: server)) }

                #expect(try await api.send(.delete, path, key: setup.admin.key).status == .noContent)
                #expect(try await api.send(.get, path, key: setup.admin.key).status == .notFound)
                #expect(try await api.send(.delete, path, key: setup.admin.key).status == .notFound)
            }
        }
    }

    @Test func onlyAdminsSetCredentialsEveryoneSeesThemAndOtherAccountsFindNothing() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let setup = try await Self.setUp(api, upstream: upstream)
                let path = "/v1/identities/\(setup.identity)/credentials/\(setup.server)"
                let body: JSONValue = ["auth": ["type": "bearer", "token": "alice-secret"]]
                let manager = try await api.addMember("policy_manager", by: setup.admin)
                #expect(try await api.send(.put, path, key: manager.key, json: body).status == .forbidden)
                #expect(try await api.send(.put, path, key: setup.admin.key, json: body).status == .created)
                #expect(try await api.send(.get, path, key: manager.key).status == .ok)
                #expect(try await api.send(.delete, path, key: manager.key).status == .forbidden)

                let stranger = try await api.signup("Other")
                #expect(try await api.send(.get, path, key: stranger.key).status == .notFound)
                #expect(try await api.send(.put, path, key: stranger.key, json: body).status == .notFound)
                #expect(try await api.send(.delete, path, key: stranger.key).status == .notFound)
                #expect(try await api.send(.get, "/v1/identities/\(setup.identity)/credentials", key: stranger.key).status == .notFound)
                // An unknown server or identity of one's own account is a 404 as well.
                #expect(try await api.send(.put, "/v1/identities/\(setup.identity)/credentials/\(UUID())", key: setup.admin.key, json: body).status == .notFound)
                #expect(try await api.send(.put, "/v1/identities/\(UUID())/credentials/\(setup.server)", key: setup.admin.key, json: body).status == .notFound)
            }
        }
    }

    @Test func badCredentialsAndModesAreRefusedAtTheirPointers() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let setup = try await Self.setUp(api, upstream: upstream)
                let path = "/v1/identities/\(setup.identity)/credentials/\(setup.server)"
                let cases: [(JSONValue, String)] = [
                    (["auth": ["type": "none"]], "/auth/type"),
                    (["auth": ["type": "bearer"]], "/auth/token"),
                    (["auth": ["type": "headers", "headers": ["Host": "evil"]]], "/auth/headers/Host"),
                    (["auth": ["type": "bearer", "token": "a\r\nX-Injected: 1"]], "/auth/token"),
                    ([:], "/auth"),
                    (["auth": ["type": "bearer", "token": "t"], "extra": 1], "/extra"),
                ]
                for (body, pointer) in cases {
                    let refused = try await api.send(.put, path, key: setup.admin.key, json: body)
                    #expect(refused.status == .badRequest && refused.errorPointers.contains(pointer), "\(body.serialized())")
                }
                let badMode = try await api.send(.patch, "/v1/servers/\(setup.server)", key: setup.admin.key, json: ["credential_mode": "per_user"])
                #expect(badMode.status == .badRequest && badMode.errorPointers == ["/credential_mode"])
                let changed = try await api.send(.patch, "/v1/servers/\(setup.server)", key: setup.admin.key, json: ["credential_mode": "per_identity_or_shared"])
                #expect(changed["credential_mode"] == "per_identity_or_shared")
            }
        }
    }

    @Test func credentialsAndModesArePublishedToWorkersAndDeletionsFollowTheirIdentity() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let setup = try await Self.setUp(api, upstream: upstream)
                let path = "/v1/identities/\(setup.identity)/credentials/\(setup.server)"
                let store = SnapshotReader(database: database)
                let before = try await store.full().version
                #expect(try await api.send(.put, path, key: setup.admin.key, json: ["auth": ["type": "bearer", "token": "alice-secret"]]).status == .created)

                let full = try await store.full()
                #expect(full.entities.servers.first?.credentialMode == "per_identity")
                let published = try #require(full.entities.identityCredentials.first)
                #expect(published.identityID.uuidString.lowercased() == setup.identity && published.serverID.uuidString.lowercased() == setup.server)
                #expect(published.authType == "bearer" && !published.sealedCredentials.contains("alice-secret"))
                guard case .delta(let delta) = try await store.delta(since: before) else {
                    Issue.record("no delta after a credential was set")
                    return
                }
                #expect(delta.upserts.identityCredentials == [published])

                #expect(try await api.send(.delete, "/v1/identities/\(setup.identity)", key: setup.admin.key).status == .noContent)
                guard case .delta(let deletion) = try await store.delta(since: full.version) else {
                    Issue.record("no delta after the identity was deleted")
                    return
                }
                #expect(deletion.deletes.contains(SnapshotEntityRef(kind: .identityCredential, id: published.id)))
                #expect(try await store.full().entities.identityCredentials.isEmpty)
            }
        }
    }

    @Test func resealMovesIdentitiesCredentialsToTheActiveKeyUnderTheirOwnBinding() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let setup = try await Self.setUp(api, upstream: upstream)
                let path = "/v1/identities/\(setup.identity)/credentials/\(setup.server)"
                #expect(try await api.send(.put, path, key: setup.admin.key, json: ["auth": ["type": "bearer", "token": "alice-secret"]]).status == .created)
                let newKey = "v2:" + Data((33...64).map { UInt8($0) }).base64EncodedString()
                let rotated = try SecretKeyRing(parsing: newKey + "," + testSecretKeys)
                // The server's own credential (v1) and alice's (v1): both move.
                #expect(try await SecretResealing(database: database, keyRing: rotated).run(logger: .init(label: "test")) == 2)
                #expect(try await SecretResealing(database: database, keyRing: rotated).run(logger: .init(label: "test")) == 0)

                let row = try #require(try await database.query("SELECT credentials_ciphertext, credentials_key_version FROM identity_credentials").first)
                #expect(try row.decode("credentials_key_version", as: String.self) == "v2")
                let newOnly = SecretSealer(keyRing: try SecretKeyRing(parsing: newKey), purpose: .upstreamCredentials)
                let binding = UpstreamAuth.binding(
                    account: UUID(uuidString: setup.admin.accountID)!, server: UUID(uuidString: setup.server)!, identity: UUID(uuidString: setup.identity)!)
                let opened = try UpstreamAuth(storedType: "bearer", sealedBytes: try row.decode("credentials_ciphertext"), sealer: newOnly, boundTo: binding)
                #expect(opened == .bearer(token: "alice-secret"))
                let changes = try await database.query("SELECT 1 FROM config_changes WHERE entity_kind = 'identity_credential'")
                #expect(changes.count == 2, "the PUT and the reseal each tell workers")
            }
        }
    }
}
