import Crypto
import Foundation
import Shared
import Testing

@testable import Gateway
import JSON

/// Issue 14 item 3, hostile access tokens: only EdDSA under a known key in force verifies, the
/// claims must match the snapshot's authorization, and nothing a client controls chooses the key.
/// A token whose signature does not verify names no account, so its refusal is never audited.
@Suite(.timeLimit(.minutes(1)))
struct AdversarialOAuthTokenTests {
    let world = OAuthWorld()

    func payload() throws -> JSONValue {
        try AccessTokenMint.payload(of: world.mint.claims(world.authorization, resource: world.resource))
    }

    func header(alg: String = "EdDSA", kid: String? = nil, extra: [(String, JSONValue)] = []) -> JSONValue {
        .object(JSONObject([("alg", .string(alg)), ("typ", "at+jwt"), ("kid", .string(kid ?? world.mint.kid))] + extra))
    }

    /// Refused 401 `invalid_token`, and recorded on no account.
    func expectUnverifiable(_ token: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let authentication = world.authenticate(token)
        #expect(authentication.refusal == .invalidAccessToken, sourceLocation: sourceLocation)
        #expect(authentication.auditedOn == nil, sourceLocation: sourceLocation)
    }

    @Test func theHandBuiltTokenOfTheseTestsVerifiesWhenNothingIsWrongWithIt() async throws {
        #expect(world.authenticate(try world.mint.handBuilt(header: header(), payload: try payload())).caller != nil)
    }

    @Test func aTokenSignedByAnotherKeyUnderAKnownKidIsRefused() async throws {
        let attacker = Curve25519.Signing.PrivateKey()
        expectUnverifiable(try world.mint.handBuilt(header: header(), payload: try payload()) { Array(try! attacker.signature(for: $0)) })
    }

    @Test func algNoneIsRefused() async throws {
        expectUnverifiable(try world.mint.handBuilt(header: header(alg: "none"), payload: try payload()) { _ in [] })
        expectUnverifiable(try world.mint.handBuilt(header: header(alg: "NONE"), payload: try payload()))
    }

    @Test func hs256WithThePublicKeyAsTheSecretIsRefused() async throws {
        let publicKey = Array(world.mint.privateKey.publicKey.rawRepresentation)
        for secret in [publicKey, Array(AccessTokenMint.base64URL(publicKey).utf8)] {
            let token = try world.mint.handBuilt(header: header(alg: "HS256"), payload: try payload()) {
                Array(HMAC<SHA256>.authenticationCode(for: $0, using: SymmetricKey(data: secret)))
            }
            expectUnverifiable(token)
        }
        expectUnverifiable(try world.mint.handBuilt(header: header(alg: "RS256"), payload: try payload()))
    }

    @Test func anUnknownKidIsRefusedAndNoOtherKeyIsTried() async throws {
        expectUnverifiable(try world.mint.handBuilt(header: header(kid: "no-such-key"), payload: try payload()))
        let withoutKid = JSONValue.object(JSONObject([("alg", "EdDSA"), ("typ", "at+jwt")]))
        expectUnverifiable(try world.mint.handBuilt(header: withoutKid, payload: try payload()))
    }

    @Test func aRetiredKeyNoLongerVerifies() async throws {
        let claims = world.retiredMint.claims(world.authorization, resource: world.resource)
        expectUnverifiable(try await world.retiredMint.sign(claims))
    }

    @Test func aKeyTheHeaderCarriesIsNeverUsed() async throws {
        let attacker = AccessTokenMint(issuer: world.mint.issuer, kid: world.mint.kid)
        let embedded: [(String, JSONValue)] = [
            ("jwk", ["kty": "OKP", "crv": "Ed25519", "x": .string(attacker.signingKey.publicKey)]),
            ("jku", "https://attacker.example/jwks"),
        ]
        expectUnverifiable(try attacker.handBuilt(header: header(extra: embedded), payload: try payload()))
    }

    @Test func aTokenWithoutTheAccessTokenTypeOrWithCriticalExtensionsIsRefused() async throws {
        let untyped = JSONValue.object(JSONObject([("alg", "EdDSA"), ("kid", .string(world.mint.kid))]))
        expectUnverifiable(try world.mint.handBuilt(header: untyped, payload: try payload()))
        let idToken = JSONValue.object(JSONObject([("alg", "EdDSA"), ("typ", "JWT"), ("kid", .string(world.mint.kid))]))
        expectUnverifiable(try world.mint.handBuilt(header: idToken, payload: try payload()))
        expectUnverifiable(try world.mint.handBuilt(header: header(extra: [("crit", ["exp"])]), payload: try payload()))
    }

    @Test func anotherAccountsAuthorizationCannotBeBorrowed() async throws {
        // Claims of our account naming the other account's authorization: inconsistent, unaudited.
        var claims = world.mint.claims(world.authorization, resource: world.resource)
        claims.authorizationID = world.foreignAuthorization.id
        expectUnverifiable(try await world.mint.sign(claims))
        // The other account's own token, aimed at our server: refused, recorded on its own account only.
        let foreign = try await world.mint.sign(world.mint.claims(world.foreignAuthorization, resource: world.resource))
        let refused = world.authenticate(foreign)
        #expect(refused.refusal == .otherResource)
        #expect(refused.auditedOn?.grant.accountID == world.foreignAuthorization.accountID)
        // A grant that is not the authorization's, or a client id that is not its client.
        claims = world.mint.claims(world.authorization, resource: world.resource)
        claims.clientID = "another-client"
        expectUnverifiable(try await world.mint.sign(claims))
    }

    @Test func aTokenOfAnotherIssuerSignedWithOurKeyIsRefused() async throws {
        var claims = world.mint.claims(world.authorization, resource: world.resource)
        claims.iss = .init(value: "https://evil.example")
        expectUnverifiable(try await world.mint.sign(claims))
    }

    @Test func anOversizeBearerIsRefusedBeforeItIsParsed() async throws {
        let padded = try world.mint.handBuilt(
            header: header(extra: [("pad", .string(String(repeating: "a", count: CallerAuthenticator.maxBearerBytes)))]),
            payload: try payload())
        let authentication = world.authenticate(padded)
        #expect(authentication.refusal == .unknownToken)
        #expect(authentication.auditedOn == nil)
    }

    @Test func malformedJWTsAreRefusedAsInvalidTokens() {
        for token in ["a.b.c", "..", "eyJhbGciOiJFZERTQSJ9..", "\u{0}.\u{0}.\u{0}", "e30.e30.e30"] {
            expectUnverifiable(token)
        }
        // Not a JWT and not a grant token: the grant token's answer, as before issue 14.
        #expect(world.authenticate("garbage").refusal == .unknownToken)
    }

    /// The claims are read from the one parse of the token (`CompactJWS`, issue 14 leftover 1): a
    /// claim of the wrong type, a missing one, or a claim written twice (which another parser could
    /// read as the other value) is refused even under a good signature.
    @Test func signedTokensWithMistypedMissingOrDuplicatedClaimsAreRefused() throws {
        let good = try #require(try payload().objectValue)
        /// The good payload with `name` set to `value`, or without it.
        func replacing(_ name: String, with value: JSONValue?) -> JSONValue {
            let others = good.members.filter { $0.key != name }.map { ($0.key, $0.value) }
            return .object(JSONObject(others + (value.map { [(name, $0)] } ?? [])))
        }
        for mistyped in [
            replacing("pcs_grant", with: .string("not-a-uuid")), replacing("exp", with: .string("9999999999")),
            replacing("aud", with: .array([.number(JSONNumber(1))])), replacing("pcs_snapshot", with: .string("7")),
            replacing("client_id", with: nil), replacing("iat", with: nil),
        ] {
            expectUnverifiable(try world.mint.handBuilt(header: header(), payload: mistyped))
        }
        let payloadText = String(decoding: try payload().serializedBytes(), as: UTF8.self)
        let duplicated = payloadText.dropLast() + #","pcs_grant":"\#(UUID().uuidString)"}"#
        let signingInput = AccessTokenMint.base64URL(header().serializedBytes()) + "." + AccessTokenMint.base64URL(Array(duplicated.utf8))
        let signature = try world.mint.privateKey.signature(for: Array(signingInput.utf8))
        expectUnverifiable(signingInput + "." + AccessTokenMint.base64URL(Array(signature)))
    }

    /// RFC 7519 §4.1.3: `aud` may be an array; the one audience it holds must be the resource.
    @Test func anAudienceWrittenAsAOneElementArrayIsAccepted() throws {
        let good = try #require(try payload().objectValue)
        let arrayAudience = JSONValue.object(JSONObject(good.members.filter { $0.key != "aud" }.map { ($0.key, $0.value) } + [
            ("aud", .array([.string(world.resource)])),
        ]))
        #expect(world.authenticate(try world.mint.handBuilt(header: header(), payload: arrayAudience)).caller != nil)
    }
}
