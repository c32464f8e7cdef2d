import Crypto
import Foundation
import Shared

/// Verifies an access token the control plane issued to an OAuth client (issue 14 items 1 and 3)
/// from the snapshot alone: no call to the control plane on the hot path. The token is an RFC 9068
/// JWT (`AccessTokenClaims`); it maps to the grant the member's consent named, and from there the
/// grant decides, as for a grant token.
enum OAuthTokenVerifier {
    /// The only JWS algorithm accepted: `none`, HMAC (a public key used as a secret) and RSA are
    /// refused before any key is looked at, whatever else the header says.
    static let algorithm = "EdDSA"
    /// Clock skew tolerated between the control plane that stamps `iat` and `exp` and this worker.
    static let clockLeeway: TimeInterval = 30

    /// `resource` is this server's resource URL, which the token's one audience must be exactly.
    static func authenticate(
        _ jws: CompactJWS, serverID: UUID, resource: String, in snapshot: EnforcementSnapshot, now: Date
    ) -> CallerAuthentication {
        guard let claims = verifiedClaims(jws, in: snapshot.oauth, now: now) else {
            return .refused(.invalidAccessToken, auditedOn: nil)
        }
        // Signed by a key in force for the issuer it names: from here the claims are the control
        // plane's word, and a refusal is audited on the grant's account, like a grant token's.
        if snapshot.oauth.authorizationsByID[claims.authorizationID] == nil || snapshot.grantsByID[claims.grantID] == nil,
           let issuedAt = claims.snapshotVersion, issuedAt > snapshot.version {
            return .awaitingSnapshot(version: issuedAt)
        }
        guard let authorization = snapshot.oauth.authorizationsByID[claims.authorizationID],
              authorization.grantID == claims.grantID, authorization.accountID == claims.accountID,
              authorization.clientID == claims.clientID,
              let grant = snapshot.grantsByID[claims.grantID], grant.accountID == claims.accountID,
              var caller = GrantAuthenticator.caller(of: grant, in: snapshot), caller.server.accountID == grant.accountID
        else { return .refused(.invalidAccessToken, auditedOn: nil) }
        caller.method = .oauthClient(clientID: claims.clientID)
        caller.scopes = MCPScopes(claim: claims.scope)

        let refusal: GrantRefusal? =
            if authorization.revoked { .authorizationRevoked }
            else if claims.aud.value != [resource] || grant.serverID != serverID { .otherResource }
            else if claims.exp.value.addingTimeInterval(clockLeeway) <= now { .accessTokenExpired }
            else if claims.iat.value > now.addingTimeInterval(clockLeeway) { .invalidAccessToken }
            else { GrantAuthenticator.check(caller, serverID: serverID, now: now) }
        if let refusal { return .refused(refusal, auditedOn: caller) }
        return .authenticated(caller)
    }

    /// The claims of a token whose header, key, signature and issuer all hold; nil otherwise.
    /// RFC 9068 §4: `typ` must be `at+jwt`, so an ID token or any other JWT signed by the same
    /// key is never taken for an access token. A `crit` header names extensions this verifier
    /// does not implement, so it refuses (RFC 7515 §4.1.11).
    private static func verifiedClaims(_ jws: CompactJWS, in index: OAuthVerificationIndex, now: Date) -> AccessTokenClaims? {
        guard jws.algorithm == algorithm, jws.header["crit"] == nil, jws.header["typ"]?.stringValue.map(isAccessTokenType) == true,
              let kid = jws.header["kid"]?.stringValue, let key = index.keysByKid[kid], !key.isRetired(at: now),
              key.publicKey.isValidSignature(jws.signature, for: jws.signingInput),
              let claims = AccessTokenClaims(payload: jws.payload), claims.iss.value == key.issuer
        else { return nil }
        return claims
    }

    private static func isAccessTokenType(_ type: String) -> Bool {
        let type = type.lowercased()
        return type == "at+jwt" || type == "application/at+jwt"
    }
}
