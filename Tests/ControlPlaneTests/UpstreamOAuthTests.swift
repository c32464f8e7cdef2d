import Foundation
import Logging
import Shared
import Testing
import TestSupport

@testable import ControlPlane

/// Issue 14 item 5, upstream OAuth connect: an identity connects to an OAuth-protected upstream
/// (discovery from the 401, dynamic registration, authorization code with PKCE S256 and
/// `resource`), workers get only the access token, the refresher keeps it fresh and drops it when
/// the upstream revokes the grant.
@Suite(.timeLimit(.minutes(2)))
struct UpstreamOAuthTests {
    static func refresher(_ database: Database) -> UpstreamOAuthRefresher {
        var configuration = APIConfiguration()
        allowLoopbackUpstreams(&configuration)
        return UpstreamOAuthRefresher(
            database: database, connect: configuration.upstreamOAuthConnect(tenants: TenantDatabase(database: database)),
            interval: .seconds(3600), logger: Logger(label: "test"))
    }

    @Test func connectingAnIdentityDiscoversRegistersExchangesWithPKCEAndPublishesOnlyTheAccessToken() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeUpstreamAuthorizationServer.run { upstream in
                let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                let authorizationURL = try await setup.start(api)
                let components = try #require(URLComponents(string: authorizationURL))
                #expect(authorizationURL.hasPrefix(upstream.url + "/authorize?"))
                #expect(components.query("response_type") == "code" && components.query("client_id") == "fake-client")
                #expect(components.query("code_challenge_method") == "S256" && components.query("code_challenge")?.count == 43)
                #expect(components.query("resource") == upstream.mcpURL && components.query("scope") == "tools:read")
                #expect(components.query("redirect_uri") == "http://127.0.0.1:8080/v1/upstream-oauth/callback")
                #expect(upstream.state.withLock { $0.registrations } == 1)

                let page = try await api.callback(try await upstream.approve(authorizationURL))
                #expect(page.status == .ok && page.text.contains("connected"))
                let exchange = try #require(upstream.tokenRequests.last)
                #expect(exchange["grant_type"] == "authorization_code" && exchange["resource"] == upstream.mcpURL)
                #expect(exchange["code_verifier"].map(PKCE.challenge(of:)) == components.query("code_challenge"))

                let credential = try await api.send(.get, setup.credentialPath, key: setup.admin.key)
                #expect(credential["source"] == "oauth" && credential["auth"] == ["type": "bearer"] && credential["expires_at"] != .null)
                #expect(credential["oauth"]?["status"] == "connected" && credential["oauth"]?["error"] == .null)
                #expect(credential["oauth"]?["issuer"] == .string(upstream.url))
                let published = try #require(try await publishedAccessToken(database, setup))
                #expect(published.token == "access-1" && published.expiresAt != nil)
                // The refresh token is sealed in the connection and nowhere in what workers or admins see.
                let snapshot = try await SnapshotReader(database: database).full()
                let list = try await api.send(.get, "/v1/identities/\(setup.identity)/credentials", key: setup.admin.key)
                for text in [String(decoding: try JSONEncoder().encode(snapshot), as: UTF8.self), credential.bodyText, list.bodyText, page.text] {
                    #expect(!text.contains("refresh-") && !text.contains("access-1") && !text.contains("code-"))
                }
                #expect(list["items"]?.arrayValue?.count == 1)
                let stored = try #require(try await database.query("SELECT refresh_token_ciphertext FROM upstream_oauth_connections").first)
                let sealed: [UInt8] = try stored.decode("refresh_token_ciphertext")
                #expect(!String(decoding: sealed, as: UTF8.self).contains("refresh-"))

                // The admin audit log names who started it, never the state or the verifier.
                let audit = try await api.send(.get, "/v1/admin-audit?limit=100", key: setup.admin.key)
                let started = try #require(audit["items"]?.arrayValue?.first { $0["action"] == "connect" })
                #expect(started["object_type"] == "identity_credential" && started["after"]?["issuer"] == .string(upstream.url))
                #expect(started["after"]?["identity_id"] == .string(setup.identity) && started["after"]?["client_id"] == "fake-client")
                #expect(!audit.bodyText.contains(components.query("state") ?? "-") && !audit.bodyText.contains("refresh-"))

                // A second connect reuses the registered client.
                _ = try await setup.start(api)
                #expect(upstream.state.withLock { $0.registrations } == 1)
            }
        }
    }

    @Test func theRefresherRotatesTheRefreshTokenAndPublishesTheNewAccessToken() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeUpstreamAuthorizationServer.run { upstream in
                // 30 s is inside the 60 s margin: due at once.
                upstream.update { $0.expiresIn = 30 }
                let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                _ = try await api.callback(try await upstream.approve(try await setup.start(api)))
                #expect(try await publishedAccessToken(database, setup)?.token == "access-1")

                await Self.refresher(database).refreshDueConnections()
                #expect(upstream.tokenRequests.last?["grant_type"] == "refresh_token" && upstream.tokenRequests.last?["refresh_token"] == "refresh-1")
                #expect(upstream.tokenRequests.last?["resource"] == upstream.mcpURL)
                #expect(try await publishedAccessToken(database, setup)?.token == "access-2")
                // The rotated refresh token was stored: the next round presents it.
                await Self.refresher(database).refreshDueConnections()
                #expect(upstream.tokenRequests.last?["refresh_token"] == "refresh-2")
                #expect(try await publishedAccessToken(database, setup)?.token == "access-3")
            }
        }
    }

    @Test func aConnectionFarFromExpiryIsNotRefreshed() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeUpstreamAuthorizationServer.run { upstream in
                let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                _ = try await api.callback(try await upstream.approve(try await setup.start(api)))
                let requests = upstream.tokenRequests.count
                await Self.refresher(database).refreshDueConnections()
                #expect(upstream.tokenRequests.count == requests)
            }
        }
    }

    @Test func aRevokedGrantMarksTheConnectionFailedAndRemovesTheAccessToken() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeUpstreamAuthorizationServer.run { upstream in
                upstream.update { $0.expiresIn = 30 }
                let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                _ = try await api.callback(try await upstream.approve(try await setup.start(api)))
                upstream.revokeAll()
                await Self.refresher(database).refreshDueConnections()
                #expect(try await publishedAccessToken(database, setup) == nil)
                let credential = try await api.send(.get, setup.credentialPath, key: setup.admin.key)
                #expect(credential.status == .ok && credential["auth"] == .null && credential["oauth"]?["status"] == "failed")
                let reason = try #require(credential["oauth"]?["error"]?.stringValue)
                #expect(reason.contains("invalid_grant") && !reason.contains("refresh-"))
                // Failed: nothing left to refresh.
                let requests = upstream.tokenRequests.count
                await Self.refresher(database).refreshDueConnections()
                #expect(upstream.tokenRequests.count == requests)
            }
        }
    }

    @Test func deletingTheCredentialDropsTheConnectionAndAStaticOneReplacesIt() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeUpstreamAuthorizationServer.run { upstream in
                upstream.update { $0.expiresIn = 30 }
                let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                _ = try await api.callback(try await upstream.approve(try await setup.start(api)))
                #expect(try await api.send(.delete, setup.credentialPath, key: setup.admin.key).status == .noContent)
                #expect(try await api.send(.get, setup.credentialPath, key: setup.admin.key).status == .notFound)
                #expect(try await database.query("SELECT 1 FROM upstream_oauth_connections").isEmpty)

                _ = try await api.callback(try await upstream.approve(try await setup.start(api)))
                let put = try await api.send(.put, setup.credentialPath, key: setup.admin.key, json: ["auth": ["type": "bearer", "token": "static"]])
                #expect(put.status == .ok)
                let requests = upstream.tokenRequests.count
                await Self.refresher(database).refreshDueConnections()
                #expect(upstream.tokenRequests.count == requests)
                #expect(try await publishedAccessToken(database, setup)?.token == "static")
            }
        }
    }

    @Test func anAuthorizationServerWithoutRegistrationTakesTheAdminsClient() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeUpstreamAuthorizationServer.run { upstream in
                upstream.update { $0.metadataOverrides["registration_endpoint"] = .null }
                let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                let refused = try await api.send(.post, setup.connectPath, key: setup.admin.key, json: [:])
                #expect(refused.status == .badRequest && refused["detail"]?.stringValue?.contains("client_id") == true)

                let url = try await setup.start(api, body: ["client_id": "admin-client", "client_secret": "admin-secret"])
                #expect(URLComponents(string: url)?.query("client_id") == "admin-client")
                // The fake issues codes to the client in the request; the exchange authenticates as it.
                _ = try await api.callback(try await upstream.approve(url))
                #expect(upstream.tokenRequests.last?["client_id"] == "admin-client" && upstream.tokenRequests.last?["client_secret"] == "admin-secret")
                #expect(try await publishedAccessToken(database, setup)?.token != nil)
                #expect(upstream.state.withLock { $0.registrations } == 0)
            }
        }
    }

    @Test func onlyAdminsConnectIdentities() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            try await FakeUpstreamAuthorizationServer.run { upstream in
                let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                let member = try await api.addMember("viewer", by: setup.admin)
                #expect(try await api.send(.post, setup.connectPath, key: member.key, json: [:]).status == .forbidden)
            }
        }
    }

    @Test func resealMovesRefreshTokensAndClientSecretsToTheActiveKeyAndTheRefreshStillWorks() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeUpstreamAuthorizationServer.run { upstream in
                upstream.update { $0.expiresIn = 30 }
                let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                let url = try await setup.start(api, body: ["client_id": "admin-client", "client_secret": "admin-secret"])
                _ = try await api.callback(try await upstream.approve(url))
                let newKey = "v2:" + Data((33...64).map { UInt8($0) }).base64EncodedString()
                let rotated = try SecretKeyRing(parsing: newKey + "," + testSecretKeys)
                // The access token, the refresh token and the client secret.
                #expect(try await SecretResealing(database: database, keyRing: rotated).run(logger: .init(label: "test")) == 3)
                let versions = try await database.query("""
                    SELECT (SELECT refresh_token_key_version FROM upstream_oauth_connections) AS refresh,
                           (SELECT client_secret_key_version FROM upstream_oauth_clients) AS client
                    """).first!
                #expect(try versions.decode("refresh", as: String.self) == "v2" && versions.decode("client", as: String.self) == "v2")

                // A refresher holding only the new key opens both where they live.
                var configuration = APIConfiguration()
                allowLoopbackUpstreams(&configuration)
                configuration.credentialSealer = SecretSealer(keyRing: try SecretKeyRing(parsing: newKey), purpose: .upstreamCredentials)
                await UpstreamOAuthRefresher(
                    database: database, connect: configuration.upstreamOAuthConnect(tenants: TenantDatabase(database: database)),
                    interval: .seconds(3600), logger: Logger(label: "test")
                ).refreshDueConnections()
                #expect(upstream.tokenRequests.last?["refresh_token"] == "refresh-1" && upstream.tokenRequests.last?["client_secret"] == "admin-secret")
            }
        }
    }
}
