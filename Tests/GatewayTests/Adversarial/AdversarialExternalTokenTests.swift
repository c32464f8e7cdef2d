import Crypto
import Foundation
import Shared
import Testing
import TestSupport

@testable import Gateway
import JSON

/// Issue 14 item 4: forged, stale and misdirected tokens from identity providers are refused 401
/// (or are simply unknown tokens), and no refusal echoes the token.
struct AdversarialExternalTokenTests {
    @Test func aTokenForAnotherAudienceIsRefused() throws {
        let world = try ExternalIssuerWorld.make()
        let token = try world.keys[0].token(testIssuerClaims(
            issuer: ExternalIssuerWorld.issuer, audience: "https://other.example", subject: "u-1", extra: ["email": "alice@example.com"]))
        #expect(world.refusal(token) == .externalToken("The token is not for this audience."))
    }

    @Test func anExpiredTokenIsRefusedBeyondTheLeeway() throws {
        let world = try ExternalIssuerWorld.make()
        let issued = Date().addingTimeInterval(-3600)
        let token = try world.token(now: issued)  // expired 3300 s ago
        #expect(world.refusal(token) == .externalToken("The token has expired."))
        // Within the leeway of a skewed clock it still passes.
        let justExpired = try world.token(now: Date().addingTimeInterval(-300 - 30))
        #expect(world.refusal(justExpired) == nil)
    }

    @Test func aTokenNotValidYetIsRefused() throws {
        let world = try ExternalIssuerWorld.make()
        let token = try world.token(claims: ["nbf": .number(JSONNumber(Int(Date().timeIntervalSince1970) + 600))])
        #expect(world.refusal(token) == .externalToken("The token is not valid yet (nbf)."))
    }

    @Test func aTokenWithoutExpiryIsRefused() throws {
        let world = try ExternalIssuerWorld.make()
        let claims: JSONValue = ["iss": .string(ExternalIssuerWorld.issuer), "aud": "portcullis", "email": "alice@example.com"]
        #expect(world.refusal(try world.keys[0].token(claims)) == .externalToken("The token has no expiry (exp)."))
    }

    @Test func aTokenSignedByAnotherKeyUnderTheIssuersKidIsRefused() throws {
        let world = try ExternalIssuerWorld.make()
        let impostor = TestIssuerKey(kid: world.keys[0].kid, kind: .ed25519(Curve25519.Signing.PrivateKey()))
        #expect(world.refusal(try world.token(key: impostor)) == .externalToken("The token's signature does not verify."))
        // A changed claim breaks the signature of a genuine token too.
        let genuine = try world.token().split(separator: ".")
        let forgedClaims = Base64URL.encode(testIssuerClaims(
            issuer: ExternalIssuerWorld.issuer, audience: "portcullis", subject: "u-1", extra: ["email": "alice@example.com", "groups": ["admins"]]
        ).serializedBytes())
        #expect(world.refusal([genuine[0], Substring(forgedClaims), genuine[2]].joined(separator: ".")) == .externalToken("The token's signature does not verify."))
    }

    @Test func anUnsignedTokenIsRefused() throws {
        let world = try ExternalIssuerWorld.make()
        let signed = try world.token(key: world.keys[0])
        let parts = signed.split(separator: ".")
        let header = Base64URL.encode((["alg": "none", "typ": "JWT"] as JSONValue).serializedBytes())
        for unsigned in ["\(header).\(parts[1]).", "\(header).\(parts[1]).\(parts[2])"] {
            #expect(world.refusal(unsigned) == .externalToken("The token's signing algorithm is not one this issuer is trusted with."))
        }
    }

    /// Algorithm confusion: an HS256 token whose "secret" is the issuer's public key.
    @Test func anHMACTokenKeyedWithThePublicKeyIsRefused() throws {
        let world = try ExternalIssuerWorld.make()
        let header = Base64URL.encode((["alg": "HS256", "kid": .string(world.keys[0].kid)] as JSONValue).serializedBytes())
        let payload = try world.token().split(separator: ".")[1]
        let input = "\(header).\(payload)"
        let publicKey = Base64URL.decode(world.keys[0].jwk["x"]!.stringValue!)!
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: publicKey))
        #expect(world.refusal(input + "." + Base64URL.encode(Array(mac)))
            == .externalToken("The token's signing algorithm is not one this issuer is trusted with."))
    }

    @Test func anAlgorithmTheIssuerIsNotTrustedWithIsRefused() throws {
        let world = try ExternalIssuerWorld.make { $0.algorithms = [.rs256] }
        #expect(world.refusal(try world.token(key: world.keys[0]))
            == .externalToken("The token's signing algorithm is not one this issuer is trusted with."))
        #expect(world.refusal(try world.token(key: world.keys[2])) == nil)
    }

    /// A token names the issuer in a claim, so the key must come from the header's `kid` and the
    /// header's `alg` must be that key's: a P-256 kid with `alg: EdDSA` finds no key.
    @Test func aHeaderThatMismatchesItsKeyFindsNoKey() throws {
        let world = try ExternalIssuerWorld.make()
        let mixed = try world.keys[0].token(
            testIssuerClaims(issuer: ExternalIssuerWorld.issuer, audience: "portcullis", subject: "u-1", extra: ["email": "alice@example.com"]),
            header: ["kid": .string(world.keys[1].kid)])
        #expect(world.refusal(mixed)
            == .externalToken("The token's key (kid) is not among the issuer's published keys; the account may need to refresh them."))
    }

    @Test func withoutAKidOnlyAnIssuerWithOneKeyOfTheAlgorithmCanVerify() throws {
        let world = try ExternalIssuerWorld.make()
        let claims = testIssuerClaims(issuer: ExternalIssuerWorld.issuer, audience: "portcullis", subject: "u-1", extra: ["email": "alice@example.com"])
        #expect(world.refusal(try world.keys[0].token(claims, header: ["kid": .null])) == nil)
        // A kid that is not a string is not "no kid".
        #expect(world.refusal(try world.keys[0].token(claims, header: ["kid": 7])) == .externalToken("The token's key id (kid) is not a string."))
        let twoEdKeys = try ExternalIssuerWorld.make { $0.keys.append(TestIssuerKey.ed25519().published) }
        #expect(twoEdKeys.refusal(try twoEdKeys.keys[0].token(claims, header: ["kid": .null]))
            == .externalToken("The token names no key (kid) and the issuer has no single key for its algorithm."))
    }

    @Test func criticalHeaderExtensionsAreRefused() throws {
        let world = try ExternalIssuerWorld.make()
        let token = try world.keys[0].token(
            testIssuerClaims(issuer: ExternalIssuerWorld.issuer, audience: "portcullis", subject: "u-1", extra: ["email": "alice@example.com"]),
            header: ["crit": ["exp"]])
        #expect(world.refusal(token) == .externalToken("The token uses critical header extensions, which are not supported."))
    }

    /// Tenant isolation: account B's issuer is not trusted on account A's server, even for an
    /// identity label both accounts have, and A's issuer is not trusted on B's server.
    @Test func anotherAccountsIssuerIsNotTrustedOnThisServer() throws {
        let world = try ExternalIssuerWorld.make()
        let fromB = try world.token(key: world.otherKey, issuer: ExternalIssuerWorld.otherIssuer)
        #expect(world.refusal(fromB) == .invalidAccessToken)
        #expect(world.refusal(fromB, on: world.otherServer) == nil)
        #expect(world.refusal(try world.token(), on: world.otherServer) == .invalidAccessToken)
    }

    /// Duplicate claims would let the judged claims differ from the signed ones in another
    /// parser; oversized and malformed tokens are not parsed at all.
    @Test func malformedTokensAreRefused() throws {
        let world = try ExternalIssuerWorld.make()
        let key = world.keys[0]
        let header = Base64URL.encode((["alg": "EdDSA", "kid": .string(key.kid)] as JSONValue).serializedBytes())
        let duplicate = Base64URL.encode(Array(#"{"iss":"\#(ExternalIssuerWorld.issuer)","aud":"portcullis","exp":9999999999,"email":"bob@example.com","email":"alice@example.com"}"#.utf8))
        let input = "\(header).\(duplicate)"
        let duplicated = input + "." + Base64URL.encode(try key.signature(of: Array(input.utf8)))
        let huge = try world.token(claims: ["padding": .string(String(repeating: "a", count: CompactJWS.maximumBytes))])
        // A bearer of JWS shape within the size bound is refused as an access token, anything else
        // as an unknown grant token (`CallerAuthenticator`'s dispatch).
        for token in [duplicated, "..", "\(header).!!!.AAAA", "\(header).\(duplicate).+/=="] {
            #expect(world.refusal(token) == .invalidAccessToken, "\(token.prefix(40))")
        }
        for token in [huge, "a.b", "a.b.c.d"] {
            #expect(world.refusal(token) == .unknownToken, "\(token.prefix(40))")
        }
    }

    @Test func twoActiveGrantsOfTheIdentityOnTheServerAreRefusedRatherThanGuessed() throws {
        let world = try ExternalIssuerWorld.make()
        var entities = world.entities
        let first = entities.grants.first { $0.id == world.grant }!
        entities.grants.append(SnapshotGrant(
            id: UUID(), accountID: first.accountID, identityID: first.identityID, serverID: first.serverID, policyID: nil,
            tokenHash: "00", expiresAt: nil, revoked: false))
        let snapshot = EnforcementSnapshot(FullSnapshot(version: 2, entities: entities))
        let jws = try #require(CompactJWS(try world.token()))
        let result = ExternalTokenVerifier.authenticate(jws, issuer: ExternalIssuerWorld.issuer, serverID: world.server, in: snapshot, now: Date())
        guard case .failure(let refusal)? = result else { Issue.record("two grants were guessed between"); return }
        #expect(refusal == .externalToken("The identity has more than one active grant on this server; keep one for tokens from an identity provider."))
    }

    @Test func noRefusalEchoesTheToken() throws {
        let world = try ExternalIssuerWorld.make()
        let tokens = [try world.token(claims: ["email": "bob@example.com"]), try world.token(now: Date().addingTimeInterval(-3600))]
        for token in tokens {
            let message = world.refusal(token)?.message ?? ""
            #expect(!message.isEmpty)
            #expect(!message.contains(token.split(separator: ".")[1]))
        }
    }
}
