import Foundation
import JWTKit
import Shared
import Testing
import TestSupport

@testable import Gateway

/// Issue 14 item 4: an agent calls with a token from an identity provider its account trusts.
struct ExternalTokenVerifierTests {
    @Test func aTokenFromATrustedIssuerActsAsTheGrantOfTheIdentityItNames() throws {
        let world = try ExternalIssuerWorld.make()
        for key in world.keys {
            let caller = try world.authenticate(try world.token(key: key)).get()
            #expect(caller.grant.id == world.grant, "\(key.algorithm)")
            #expect(caller.identity.label == "alice@example.com")
            #expect(caller.server.id == world.server)
            #expect(caller.grant.policyID == world.grantPolicy)
            #expect(caller.policy != nil)
            #expect(caller.method == .externalIssuer(issuer: ExternalIssuerWorld.issuer, clientID: "agent-app"))
        }
    }

    /// The worker checks signatures with swift-crypto; tokens signed by jwt-kit (the JWT
    /// library, as an identity provider's would be) verify the same.
    @Test(.timeLimit(.minutes(1))) func tokensSignedByJWTKitVerify() async throws {
        let world = try ExternalIssuerWorld.make()
        let claims = ExternalClaims(
            iss: IssuerClaim(value: ExternalIssuerWorld.issuer), aud: AudienceClaim(value: [ExternalIssuerWorld.audience]),
            exp: ExpirationClaim(value: Date().addingTimeInterval(300)), email: "alice@example.com")
        for key in world.keys {
            let collection = JWTKeyCollection()
            switch key.kind {
            case .ed25519(let privateKey): await collection.add(eddsa: EdDSA.PrivateKey(backing: privateKey), kid: JWKIdentifier(string: key.kid))
            case .p256(let privateKey): await collection.add(ecdsa: try ES256PrivateKey(backing: privateKey), kid: JWKIdentifier(string: key.kid))
            case .rsa(let privateKey):
                await collection.add(rsa: try Insecure.RSA.PrivateKey(backing: privateKey), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.kid))
            }
            let token = try await collection.sign(claims, kid: JWKIdentifier(string: key.kid))
            #expect(try world.authenticate(token).get().grant.id == world.grant, "\(key.algorithm)")
        }
    }

    @Test func aGroupTheIssuerMapsOverridesTheGrantsPolicyAndTheAuditNamesIt() throws {
        let world = try ExternalIssuerWorld.make()
        let caller = try world.authenticate(try world.token(claims: ["groups": ["engineering", "admins"]])).get()
        #expect(caller.grant.policyID == world.adminPolicy)
        #expect(caller.grant.id == world.grant)
        // A single string is a group too; an unmapped group leaves the grant's policy.
        #expect(try world.authenticate(try world.token(claims: ["groups": "admins"])).get().grant.policyID == world.adminPolicy)
        #expect(try world.authenticate(try world.token(claims: ["groups": ["engineering"]])).get().grant.policyID == world.grantPolicy)
    }

    @Test func aMappedPolicySinceDeletedLeavesNoPolicySoEveryCallIsDenied() throws {
        let deleted = UUID()
        let world = try ExternalIssuerWorld.make { $0.groupPolicies = [.init(group: "admins", policyID: deleted)] }
        let caller = try world.authenticate(try world.token(claims: ["groups": ["admins"]])).get()
        #expect(caller.grant.policyID == deleted)
        #expect(caller.policy == nil)
    }

    @Test func theIdentityClaimIsConfigurable() throws {
        let world = try ExternalIssuerWorld.make { $0.identityClaim = "preferred_username" }
        #expect(try world.authenticate(try world.token(claims: ["preferred_username": "alice@example.com"])).get().grant.id == world.grant)
        #expect(world.refusal(try world.token()) == .externalToken("The token has no preferred_username claim naming an identity."))
    }

    @Test func anIdentityWithoutAGrantOnThisServerIsRefusedWithAClearMessage() throws {
        let world = try ExternalIssuerWorld.make()
        #expect(world.refusal(try world.token(claims: ["email": "bob@example.com"])) == .externalToken("The identity has no active grant on this server."))
        #expect(world.refusal(try world.token(claims: ["email": "mallory@example.com"]))
            == .externalToken("No identity of this account is labelled with the token's email."))
        #expect(GrantRefusal.externalToken("x").httpStatus == 401)
    }

    @Test func anUnverifiedEmailNamesNobody() throws {
        let world = try ExternalIssuerWorld.make()
        #expect(world.refusal(try world.token(claims: ["email_verified": false])) == .externalToken("The token's email is not verified."))
    }

    @Test func aTokenOfNoTrustedIssuerIsAnUnknownToken() throws {
        let world = try ExternalIssuerWorld.make()
        #expect(world.refusal(try world.token(issuer: "https://idp.unknown.example")) == .invalidAccessToken)
        #expect(world.refusal("not-a-jwt") == .unknownToken)
    }
}

/// The claims an identity provider's access token carries, for signing with jwt-kit.
private struct ExternalClaims: JWTPayload {
    var iss: IssuerClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var email: String

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
