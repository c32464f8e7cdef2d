import Crypto
import Foundation
import JSON
import JWTKit
import Shared

/// The control plane's OAuth signing as a test holds it (issue 14): an Ed25519 key, the
/// `SnapshotOAuthSigningKey` a worker would receive for it, access tokens signed with jwt-kit as
/// the authorization server signs them, and hand-built tokens for the hostile cases.
struct AccessTokenMint: Sendable {
    let id = UUID()
    let privateKey = Curve25519.Signing.PrivateKey()
    let kid: String
    let issuer: String
    var retiresAt: Date?

    init(issuer: String = "http://127.0.0.1:8080", kid: String = "key-\(UUID().uuidString.prefix(8))", retiresAt: Date? = nil) {
        self.issuer = issuer
        self.kid = kid
        self.retiresAt = retiresAt
    }

    var signingKey: SnapshotOAuthSigningKey {
        SnapshotOAuthSigningKey(
            id: id, kid: kid, algorithm: "EdDSA", publicKey: Self.base64URL(Array(privateKey.publicKey.rawRepresentation)),
            issuer: issuer, retiresAt: retiresAt)
    }

    /// The claims of a token for `authorization`'s grant on `resource`.
    func claims(
        _ authorization: SnapshotOAuthAuthorization, resource: String, scope: String = "mcp:read mcp:call", issuedAt: Date = Date(),
        lifetime: TimeInterval = 600
    ) -> AccessTokenClaims {
        AccessTokenClaims(
            iss: issuer, sub: UUID().uuidString.lowercased(), aud: resource, exp: issuedAt.addingTimeInterval(lifetime), iat: issuedAt,
            jti: UUID().uuidString, clientID: authorization.clientID, scope: scope, authorizationID: authorization.id,
            grantID: authorization.grantID, accountID: authorization.accountID)
    }

    /// A token as the control plane issues it: `typ: at+jwt`, `alg: EdDSA`, this key's `kid`.
    func sign(_ claims: AccessTokenClaims) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: privateKey), kid: JWKIdentifier(string: kid))
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid), header: ["typ": "at+jwt"])
    }

    /// A token with exactly this header and payload; signed with this key unless `signature` is given.
    func handBuilt(header: JSONValue, payload: JSONValue, signature: ((ArraySlice<UInt8>) -> [UInt8])? = nil) throws -> String {
        let signingInput = Self.base64URL(header.serializedBytes()) + "." + Self.base64URL(payload.serializedBytes())
        let input = ArraySlice(Array(signingInput.utf8))
        let signed = try signature?(input) ?? Array(privateKey.signature(for: input))
        return signingInput + "." + Self.base64URL(signed)
    }

    /// The payload of a token as JSON, to change one claim of an otherwise valid token.
    static func payload(of claims: AccessTokenClaims) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return try JSONParser().parse(Array(try encoder.encode(claims)))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
