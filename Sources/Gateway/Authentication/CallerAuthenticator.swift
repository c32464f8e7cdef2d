import Foundation
import Shared

/// What authenticating a request came to.
enum CallerAuthentication: Sendable {
    case authenticated(AuthenticatedGrant)
    /// `auditedOn` is the caller the credential names when that is certain (a known grant token, an
    /// access token whose signature verified): the refusal is recorded on its account (issue 10
    /// item 4). A missing, unknown or unverifiable credential names no account to charge, so it is
    /// only counted, and a flood of bad tokens cannot fill anyone's audit log.
    case refused(GrantRefusal, auditedOn: AuthenticatedGrant?)
    /// A verified access token issued after this snapshot, for an authorization the snapshot does
    /// not hold yet: the consent's change is still on its way to this worker. The endpoint waits
    /// for that version, briefly, and authenticates again (`MCPEndpoint.handle`).
    case awaitingSnapshot(version: Int64)
}

/// Who is calling, from the credential a request presents (issue 14, identity contract): a
/// `pcs_gt_` grant token (`GrantAuthenticator`), an access token of the control plane's issuer
/// (`OAuthTokenVerifier`), or a token of an issuer the server's account trusts (the external
/// issuers' verifier). Whichever it is, the caller is a grant, and the grant decides.
enum CallerAuthenticator {
    /// A bearer longer than this is refused before anything parses it: grant tokens are 50
    /// characters, the control plane's access tokens under 2 KiB, and identity providers' tokens
    /// with group claims a few KiB (issue 14 item 1: bound what a hostile token can cost).
    static let maxBearerBytes = 8192

    static func authenticate(
        _ credential: GrantCredential, authorization: String?, resource: ProtectedResource, in snapshot: EnforcementSnapshot, now: Date
    ) -> CallerAuthentication {
        switch credential {
        case .secretURL(let token):
            return grantToken(token, serverID: nil, in: snapshot, now: now)
        case .bearer(let path):
            guard let token = GrantAuthenticator.bearerToken(authorization) else { return .refused(.missingToken, auditedOn: nil) }
            guard token.utf8.count <= maxBearerBytes else { return .refused(.unknownToken, auditedOn: nil) }
            let server = UUID(uuidString: path)
            if token.hasPrefix(TokenKind.grant.prefix) || !isJWT(token) {
                // A path that is not a server id cannot be the grant's server: authenticate first,
                // so a missing or bad token is still 401, then refuse the URL.
                let authentication = grantToken(token, serverID: server, in: snapshot, now: now)
                if server == nil, case .authenticated(let caller) = authentication { return .refused(.wrongServer, auditedOn: caller) }
                return authentication
            }
            guard let server else { return .refused(.invalidAccessToken, auditedOn: nil) }
            return jwt(token, serverID: server, resource: resource.resource(server: server), in: snapshot, now: now)
        }
    }

    /// A grant token: its grant, then the state checks. A refused token that names a grant (revoked,
    /// expired, another server's) is recorded on the grant's account.
    private static func grantToken(_ token: String, serverID: UUID?, in snapshot: EnforcementSnapshot, now: Date) -> CallerAuthentication {
        guard let caller = GrantAuthenticator.grant(of: token, in: snapshot) else { return .refused(.unknownToken, auditedOn: nil) }
        if let refusal = GrantAuthenticator.check(caller, serverID: serverID, now: now) { return .refused(refusal, auditedOn: caller) }
        return .authenticated(caller)
    }

    /// The token is parsed once, here (`CompactJWS`: bounded, strict JSON), and the parse handed to
    /// its verifier. The control plane's own tokens are told apart by their `iss`, read before any
    /// verification: it only chooses the verifier, which then checks everything.
    private static func jwt(
        _ token: String, serverID: UUID, resource: String, in snapshot: EnforcementSnapshot, now: Date
    ) -> CallerAuthentication {
        guard let jws = CompactJWS(token), let issuer = jws.payload["iss"]?.stringValue else {
            return .refused(.invalidAccessToken, auditedOn: nil)
        }
        if snapshot.oauth.issuers.contains(issuer) {
            return OAuthTokenVerifier.authenticate(jws, serverID: serverID, resource: resource, in: snapshot, now: now)
        }
        switch ExternalTokenVerifier.authenticate(jws, issuer: issuer, serverID: serverID, in: snapshot, now: now) {
        case .success(let caller): return .authenticated(caller)
        case .failure(let refusal): return .refused(refusal, auditedOn: nil)
        case nil: return .refused(.invalidAccessToken, auditedOn: nil)
        }
    }

    /// Compact JWS serialization: three base64url segments (RFC 7515 §7.1).
    private static func isJWT(_ token: String) -> Bool {
        token.utf8.lazy.filter { $0 == UInt8(ascii: ".") }.count == 2
    }

}
