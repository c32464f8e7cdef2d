import Foundation
import JWTKit
import TestSupport
import Shared
import Testing

@testable import ControlPlane
import JSON

/// Issue 14 item 2: the control plane as the OAuth 2.1 authorization server.
struct OAuthAuthorizationServerTests {
    @Test(.timeLimit(.minutes(2)))
    func metadataNamesTheContractEndpoints() async throws {
        try await withOAuthAPI { api, _ in
            let metadata = try await api.send(.get, "/.well-known/oauth-authorization-server")
            #expect(metadata.status == .ok)
            #expect(metadata["issuer"] == .string(testIssuer))
            #expect(metadata["authorization_endpoint"] == .string(testIssuer + "/oauth/authorize"))
            #expect(metadata["token_endpoint"] == .string(testIssuer + "/oauth/token"))
            #expect(metadata["registration_endpoint"] == .string(testIssuer + "/oauth/register"))
            #expect(metadata["revocation_endpoint"] == .string(testIssuer + "/oauth/revoke"))
            #expect(metadata["jwks_uri"] == .string(testIssuer + "/oauth/jwks"))
            #expect(metadata["code_challenge_methods_supported"] == ["S256"])
            #expect(metadata["scopes_supported"] == ["mcp:read", "mcp:call"])
            #expect(metadata["client_id_metadata_document_supported"] == true)
            #expect(metadata["authorization_response_iss_parameter_supported"] == true)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func registeredClientCompletesTheCodeFlowAndItsTokenVerifiesWithTheJWKS() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let resource = "\(testGatewayBase)/mcp/\(server)"
            let flow = try await api.registerPublicClient()
            let requestID = try await flow.requestID(resource: resource, scope: "mcp:read")

            let pending = try await api.send(.get, "/v1/oauth/requests/\(requestID)", key: admin.key)
            #expect(pending.status == .ok)
            #expect(pending["client_name"] == "Test Client")
            #expect(pending["resource"] == .string(resource))
            #expect(pending["server"]?["id"] == .string(server))

            let code = try await flow.allow(requestID, by: admin)
            let answer = try await flow.exchange(code, resource: resource)
            #expect(answer.status == .ok)
            #expect(answer["token_type"] == "Bearer")
            #expect(answer["expires_in"] == 600)
            #expect(answer["scope"] == "mcp:read")
            #expect(answer.headers[.cacheControl] == "no-store")
            let token = try #require(answer["access_token"]?.stringValue)

            let claims = try await api.verifiedClaims(token)
            let header = try #require(JSONValue.parse(Array(Data(base64Encoded: base64(token.split(separator: ".")[0]))!)).objectValue)
            #expect(header["typ"] == "at+jwt")
            #expect(header["alg"] == "EdDSA")
            #expect(claims.iss.value == testIssuer)
            #expect(claims.aud.value == [resource])
            #expect(claims.clientID == flow.clientID)
            #expect(claims.scope == "mcp:read")
            #expect(claims.accountID.uuidString.lowercased() == admin.accountID)
            let grant = try #require(try await database.query("SELECT id, identity_id, server_id FROM grants WHERE id = \(claims.grantID)").first)
            #expect(try grant.decode("server_id", as: UUID.self).uuidString.lowercased() == server)
            #expect(claims.sub.value == (try grant.decode("identity_id", as: UUID.self)).uuidString.lowercased())

            let listed = try await api.send(.get, "/v1/oauth/authorizations", key: admin.key)
            #expect(listed["items"]?.arrayValue?.first?["id"] == .string(claims.authorizationID.uuidString.lowercased()))
            let snapshot = try await SnapshotReader(database: database).full()
            #expect(snapshot.entities.oauthAuthorizations.contains { $0.id == claims.authorizationID && $0.grantID == claims.grantID && !$0.revoked })
            #expect(snapshot.entities.oauthSigningKeys.contains { $0.issuer == testIssuer && $0.retiresAt == nil })
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func secondConsentReusesTheGrantOfTheSameIdentityServerAndPolicy() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let resource = "\(testGatewayBase)/mcp/\(server)"
            let flow = try await api.registerPublicClient()
            let first = try await api.verifiedClaims(try #require(try await flow.tokens(resource: resource, member: admin)["access_token"]?.stringValue))
            let second = try await api.verifiedClaims(try #require(try await flow.tokens(resource: resource, member: admin)["access_token"]?.stringValue))
            #expect(first.grantID == second.grantID)
            #expect(first.authorizationID != second.authorizationID)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func metadataDocumentClientCompletesTheCodeFlow() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let resource = "\(testGatewayBase)/mcp/\(server)"
            try await withClientMetadataDocument(redirectURI: "http://127.0.0.1:40000/cb") { clientID in
                let flow = OAuthFlow(api: api, clientID: clientID, redirectURI: "http://127.0.0.1:40000/cb")
                let requestID = try await flow.requestID(resource: resource)
                #expect(try await api.send(.get, "/v1/oauth/requests/\(requestID)", key: admin.key)["client_name"] == "Metadata Client")
                let answer = try await flow.exchange(try await flow.allow(requestID, by: admin))
                #expect(answer.status == .ok)
                let claims = try await api.verifiedClaims(try #require(answer["access_token"]?.stringValue))
                #expect(claims.clientID == clientID)
                #expect(claims.scope == "mcp:read mcp:call")
            }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func refreshRotatesTheTokenAndReuseRevokesTheAuthorization() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let flow = try await api.registerPublicClient()
            let first = try await flow.tokens(resource: "\(testGatewayBase)/mcp/\(server)", member: admin)
            let original = try #require(first["refresh_token"]?.stringValue)
            let rotated = try await flow.refresh(original)
            #expect(rotated.status == .ok)
            let next = try #require(rotated["refresh_token"]?.stringValue)
            #expect(next != original)
            let claims = try await api.verifiedClaims(try #require(rotated["access_token"]?.stringValue))

            let reused = try await flow.refresh(original)
            #expect(reused.status == .badRequest)
            #expect(reused["error"] == "invalid_grant")
            // The reuse revoked the authorization: the newest refresh token is dead too, and workers learn it.
            #expect(try await flow.refresh(next)["error"] == "invalid_grant")
            let snapshot = try await SnapshotReader(database: database).full()
            #expect(snapshot.entities.oauthAuthorizations.first { $0.id == claims.authorizationID }?.revoked == true)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func revokingAnAuthorizationPublishesItAndEndsItsRefreshToken() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let flow = try await api.registerPublicClient()
            let answer = try await flow.tokens(resource: "\(testGatewayBase)/mcp/\(server)", member: admin)
            let claims = try await api.verifiedClaims(try #require(answer["access_token"]?.stringValue))
            let store = SnapshotReader(database: database)
            let before = try await store.full().version

            let deleted = try await api.send(.delete, "/v1/oauth/authorizations/\(claims.authorizationID.uuidString.lowercased())", key: admin.key)
            #expect(deleted.status == .noContent)
            guard case .delta(let delta) = try await store.delta(since: before) else { throw TestFailure("no delta after revocation") }
            #expect(delta.upserts.oauthAuthorizations.map(\.revoked) == [true])
            #expect(try await flow.refresh(try #require(answer["refresh_token"]?.stringValue))["error"] == "invalid_grant")
            let listed = try await api.send(.get, "/v1/oauth/authorizations", key: admin.key)
            #expect(listed["items"]?.arrayValue?.first?["status"] == "revoked")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func tokenRevocationEndsTheAuthorization() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let flow = try await api.registerPublicClient()
            let answer = try await flow.tokens(resource: "\(testGatewayBase)/mcp/\(server)", member: admin)
            let refresh = try #require(answer["refresh_token"]?.stringValue)
            let revoked = try await api.form("/oauth/revoke", [("token", refresh), ("client_id", flow.clientID)])
            #expect(revoked.status == .ok)
            #expect(try await flow.refresh(refresh)["error"] == "invalid_grant")
            // An unknown token is answered the same way (RFC 7009 §2.2).
            #expect(try await api.form("/oauth/revoke", [("token", "nonsense"), ("client_id", flow.clientID)]).status == .ok)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func serverAnswerCarriesTheOAuthClientConfigurationWithoutAToken() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin, name: "RunPod GPUs")
            let answer = try await api.send(.get, "/v1/servers/\(server)", key: admin.key)
            let url = "\(testGatewayBase)/mcp/\(server)"
            #expect(answer["gateway_url"] == .string(url))
            let config = try #require(answer["oauth_client_config"])
            #expect(config["claude_code"]?["command"] == .string("claude mcp add --transport http portcullis-runpod-gpus \(url)"))
            #expect(config["vscode"]?["config"]?["servers"]?["portcullis-runpod-gpus"] == ["type": "http", "url": .string(url)])
            #expect(config["cursor"]?["config"]?["mcpServers"]?["portcullis-runpod-gpus"] == ["url": .string(url)])
            #expect(config["claude_desktop"]?["config"]?["mcpServers"]?["portcullis-runpod-gpus"]?["args"] == ["-y", "mcp-remote", .string(url)])
            #expect(!answer.bodyText.contains("pcs_gt_"))
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func newPublicURLGetsItsOwnKeyAndRetiresTheOldOne() async throws {
        try await withTestDatabase { database, _ in
            let sealer = SecretSealer(keyRing: try SecretKeyRing(parsing: testSecretKeys), purpose: .oauthSigningKeys)
            let before = try await OAuthSigningKeyStore(database: database, sealer: sealer, issuer: "https://old.example").current()
            #expect(try await OAuthSigningKeyStore(database: database, sealer: sealer, issuer: "https://old.example").current().kid == before.kid)
            let after = try await OAuthSigningKeyStore(database: database, sealer: sealer, issuer: "https://new.example").current()
            #expect(after.kid != before.kid)
            let keys = try await SnapshotReader(database: database).full().entities.oauthSigningKeys
            #expect(keys.first { $0.kid == before.kid }?.retiresAt != nil)
            #expect(keys.first { $0.kid == after.kid }.map { $0.issuer == "https://new.example" && $0.retiresAt == nil } == true)
        }
    }

    @Test func optionsRefuseABadPublicURLOrTokenLifetime() throws {
        #expect(throws: (any Error).self) { try ControlPlaneOptions.parse(["--public-url", "ftp://cp.example"]).validate() }
        #expect(throws: (any Error).self) { try ControlPlaneOptions.parse(["--oauth-access-token-lifetime", "5"]).validate() }
        try ControlPlaneOptions.parse(["--public-url", "https://cp.example", "--oauth-access-token-lifetime", "900"]).validate()
    }

    @Test(.timeLimit(.minutes(2)))
    func rotatedKeyKeepsVerifyingUntilItsOverlapEnds() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let flow = try await api.registerPublicClient()
            let before = try #require(try await flow.tokens(resource: "\(testGatewayBase)/mcp/\(server)", member: admin)["access_token"]?.stringValue)
            let keys = OAuthSigningKeyStore(
                database: database, sealer: SecretSealer(keyRing: try SecretKeyRing(parsing: testSecretKeys), purpose: .oauthSigningKeys),
                issuer: testIssuer)
            let oldKid = try await keys.current().kid
            let newKid = try await keys.rotate(overlap: .seconds(3600))
            #expect(newKid != oldKid)

            let published = try #require(try await api.send(.get, "/oauth/jwks")["keys"]?.arrayValue).compactMap { $0["kid"]?.stringValue }
            #expect(Set(published) == [oldKid, newKid])
            _ = try await api.verifiedClaims(before)
            let after = try #require(try await flow.tokens(resource: "\(testGatewayBase)/mcp/\(server)", member: admin)["access_token"]?.stringValue)
            #expect(try JSONValue.parse(Array(Data(base64Encoded: base64(after.split(separator: ".")[0]))!))["kid"] == .string(newKid))
            let snapshotKeys = try await SnapshotReader(database: database).full().entities.oauthSigningKeys
            #expect(snapshotKeys.first { $0.kid == oldKid }?.retiresAt != nil)
            #expect(snapshotKeys.first { $0.kid == newKid }?.retiresAt == nil)

            // With no overlap the previous key retires at once; the next rotation deletes it, and
            // the snapshot's delta says so.
            let version = try await SnapshotReader(database: database).full().version
            try await keys.rotate(overlap: .seconds(0))
            try await keys.rotate(overlap: .seconds(3600))
            let remaining = try #require(try await api.send(.get, "/oauth/jwks")["keys"]?.arrayValue).compactMap { $0["kid"]?.stringValue }
            #expect(!remaining.contains(newKid))
            guard case .delta(let delta) = try await SnapshotReader(database: database).delta(since: version) else { throw TestFailure("no delta") }
            #expect(delta.deletes.contains { $0.kind == .oauthSigningKey })
            await #expect(throws: (any Error).self) { _ = try await api.verifiedClaims(after) }
        }
    }
}

/// A JWT segment as standard, padded base64.
func base64(_ segment: Substring) -> String {
    var text = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    text += String(repeating: "=", count: (4 - text.count % 4) % 4)
    return text
}
