import Foundation
import Shared
import Testing

@testable import Gateway

/// Issue 14 items 1 and 3: a worker verifies the control plane's access tokens from the snapshot
/// alone and maps them to the grant the member's consent named.
@Suite(.timeLimit(.minutes(1)))
struct OAuthTokenVerifierTests {
    @Test func anAccessTokenOfTheControlPlaneBecomesItsGrantAsAnOAuthClient() async throws {
        let world = OAuthWorld()
        let caller = try #require(world.authenticate(try await world.token(scope: "mcp:read")).caller)
        #expect(caller.grant.id == world.authorization.grantID)
        #expect(caller.identity.label == "claude")
        #expect(caller.method == .oauthClient(clientID: "https://client.example/cimd.json"))
        #expect(caller.scopes == .read)
    }

    @Test func aTokenForOneServerIsRefusedOnAnother() async throws {
        let world = OAuthWorld()
        let token = try await world.token()
        let refused = world.authenticate(token, on: world.otherServer)
        #expect(refused.refusal == .otherResource)
        // The signature verified: the refusal is recorded on the grant's account.
        #expect(refused.auditedOn?.grant.id == world.authorization.grantID)
        // Same server, another gateway URL (A vs B): the audience is the whole resource URL.
        let elsewhere = CallerAuthenticator.authenticate(
            .bearer(serverID: world.server.uuidString), authorization: "Bearer \(token)",
            resource: ProtectedResource(publicGatewayURL: "https://other-gateway.example"), in: world.snapshot, now: Date())
        #expect(elsewhere.refusal == .otherResource)
    }

    @Test func anExpiredTokenIsRefusedPastTheClockLeeway() async throws {
        let world = OAuthWorld()
        let issued = Date().addingTimeInterval(-700)
        let token = try await world.token(issuedAt: issued, lifetime: 600)
        #expect(world.authenticate(token).refusal == .accessTokenExpired)
        // Within the leeway of its expiry, a worker whose clock runs ahead still accepts it.
        #expect(world.authenticate(token, now: issued.addingTimeInterval(600 + OAuthTokenVerifier.clockLeeway / 2)).caller != nil)
        #expect(world.authenticate(token, now: issued.addingTimeInterval(-2 * OAuthTokenVerifier.clockLeeway)).refusal == .invalidAccessToken)
    }

    @Test func aRevokedAuthorizationIsRefusedOnceADeltaCarriesTheRevocation() async throws {
        let world = OAuthWorld()
        let token = try await world.token()
        let before = FullSnapshot(version: 1, entities: world.entities)
        let built = EnforcementSnapshot(before)
        #expect(world.authenticate(token, in: built).caller != nil)
        var revoked = world.authorization
        revoked.revoked = true
        var upserts = SnapshotEntities()
        upserts.oauthAuthorizations = [revoked]
        let after = try before.applying(SnapshotDelta(since: 1, version: 2, upserts: upserts, deletes: []))
        let refused = world.authenticate(token, in: EnforcementSnapshot(after, previous: built))
        #expect(refused.refusal == .authorizationRevoked)
        #expect(refused.auditedOn?.grant.id == world.authorization.grantID)
    }

    @Test func aRevokedGrantRefusesItsAccessTokensToo() async throws {
        var world = OAuthWorld()
        let token = try await world.token()
        world.entities.grants = world.entities.grants.map { grant in
            var grant = grant
            if grant.id == world.authorization.grantID { grant.revoked = true }
            return grant
        }
        #expect(world.authenticate(token).refusal == .revoked)
    }

    @Test func theMetadataNamesTheIssuerOfTheKeysInForce() throws {
        let world = OAuthWorld()
        let document = OAuthWorld.gateway.metadata(
            server: world.server, authorizationServers: world.snapshot.oauth.authorizationServers(at: Date()))
        #expect(document["resource"] == .string("https://gateway.example/mcp/\(world.server.uuidString.lowercased())"))
        #expect(document["authorization_servers"] == ["http://127.0.0.1:8080"])
        #expect(document["scopes_supported"] == ["mcp:read", "mcp:call"])
        #expect(document["bearer_methods_supported"] == ["header"])
    }

    @Test func theChallengesPointAtTheServersMetadata() {
        let server = UUID()
        let metadata = "https://gateway.example/.well-known/oauth-protected-resource/mcp/\(server.uuidString.lowercased())"
        #expect(OAuthWorld.gateway.unauthorizedChallenge(server: server, tokenSent: false)
            == #"Bearer resource_metadata="\#(metadata)", scope="mcp:read mcp:call""#)
        #expect(OAuthWorld.gateway.unauthorizedChallenge(server: server, tokenSent: true)
            == #"Bearer error="invalid_token", resource_metadata="\#(metadata)", scope="mcp:read mcp:call""#)
        #expect(OAuthWorld.gateway.insufficientScopeChallenge(server: server)
            == #"Bearer error="insufficient_scope", scope="mcp:read mcp:call", resource_metadata="\#(metadata)""#)
    }

    @Test func scopesFollowTheMethodsTheContractNames() {
        for method in ["initialize", "ping", "notifications/initialized", "tools/list", "resources/templates/list", "resources/read",
                       "prompts/get", "response"] {
            #expect(MCPScopes.required(forMethod: method) == .read, "\(method)")
        }
        for method in ["tools/call", "resources/subscribe", "completion/complete", "logging/setLevel", "sampling/createMessage"] {
            #expect(MCPScopes.required(forMethod: method) == .call, "\(method)")
        }
        #expect(MCPScopes(claim: "mcp:call openid  mcp:read") == .all)
        #expect(MCPScopes(claim: "") == [])
    }
}
