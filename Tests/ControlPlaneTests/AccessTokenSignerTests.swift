import Crypto
import Foundation
import Shared
import Testing

@testable import ControlPlane

/// Issue 14 leftover 8: the signer opens the current key once, yet follows a rotation at the next
/// token, and every token carries the change number current when it was signed.
struct AccessTokenSignerTests {
    static func subject() -> AccessTokenSigner.Subject {
        AccessTokenSigner.Subject(
            authorizationID: UUID(), accountID: UUID(), grantID: UUID(), identityID: UUID(), clientID: "client",
            resource: "\(testGatewayBase)/mcp/\(UUID())", scope: "mcp:read")
    }

    /// The token's `kid`, `pcs_snapshot`, and whether the published key of that kid verifies it.
    static func inspect(_ token: String, _ database: Database) async throws -> (kid: String, version: Int64?, verifies: Bool) {
        let jws = try #require(CompactJWS(token))
        let kid = try #require(jws.header["kid"]?.stringValue)
        let row = try #require(try await database.query("SELECT public_key FROM oauth_signing_keys WHERE kid = \(kid)").first)
        let key = try Curve25519.Signing.PublicKey(rawRepresentation: try #require(Base64URL.decode(try row.decode("public_key", as: String.self))))
        return (kid, jws.payload["pcs_snapshot"]?.numberValue?.int64Value, key.isValidSignature(jws.signature, for: jws.signingInput))
    }

    @Test(.timeLimit(.minutes(2)))
    func aRotationIsFollowedAtTheNextTokenAndTheChangeNumberIsReadPerToken() async throws {
        try await withOAuthAPI { _, database in
            let settings = OAuthSettings(
                issuer: testIssuer, accessTokenLifetime: .seconds(600),
                keySealer: SecretSealer(keyRing: try SecretKeyRing(parsing: testSecretKeys), purpose: .oauthSigningKeys))
            let keys = try #require(settings.signingKeys(database: database))
            let signer = AccessTokenSigner(keys: keys, settings: settings)

            let first = try await Self.inspect(try await signer.sign(for: Self.subject()), database)
            let second = try await Self.inspect(try await signer.sign(for: Self.subject()), database)
            #expect(first.verifies && second.verifies)
            #expect(first.kid == second.kid)

            // Another process rotates (oauth-rotate-key): the change is published, and the very
            // next token is signed with the new key and carries the newer change number.
            let rotated = try await keys.rotate(overlap: .seconds(60))
            let third = try await Self.inspect(try await signer.sign(for: Self.subject()), database)
            #expect(third.kid == rotated && third.kid != first.kid)
            #expect(third.verifies)
            #expect((third.version ?? 0) > (second.version ?? .max))
        }
    }
}
