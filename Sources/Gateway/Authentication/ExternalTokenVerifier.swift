import Foundation
import JSON
import Shared

/// Authenticates a JWT from an identity provider the server's account trusts (issue 14 item 4):
/// verified with the issuer's keys from the snapshot (the control plane fetched them; a worker
/// never fetches anything), then mapped to a grant: the identity claim's value is the label of
/// an identity of the account, whose one active grant on this server the caller acts as; a group
/// claim the issuer maps to a policy overrides the grant's policy.
enum ExternalTokenVerifier {
    /// Clock skew tolerated between the issuer and this worker on `exp` and `nbf`.
    static let leeway: TimeInterval = 60

    /// `iss` is the token's issuer, as `CallerAuthenticator` read it from `jws`. Nil when no
    /// trusted issuer of the server's account matches it: the caller then treats the token as any
    /// unknown token.
    static func authenticate(
        _ jws: CompactJWS, issuer iss: String, serverID: UUID, in snapshot: EnforcementSnapshot, now: Date
    ) -> Result<AuthenticatedGrant, GrantRefusal>? {
        guard let server = snapshot.serversByID[serverID], let issuer = snapshot.trustedIssuers.issuer(iss, account: server.accountID)
        else { return nil }
        do throws(GrantRefusal) {
            try verify(jws, by: issuer, now: now)
            return .success(try grant(for: jws.payload, by: issuer, server: server, in: snapshot, now: now))
        } catch {
            return .failure(error)
        }
    }

    /// The signature (an allowed algorithm, the key its `kid` names), the audience and the validity window.
    private static func verify(_ jws: CompactJWS, by issuer: TrustedIssuerIndex.Issuer, now: Date) throws(GrantRefusal) {
        let settings = issuer.settings
        guard let name = jws.algorithm, let algorithm = IssuerSigningAlgorithm(rawValue: name), settings.algorithms.contains(algorithm) else {
            throw .externalToken("The token's signing algorithm is not one this issuer is trusted with.")
        }
        // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
        guard jws.header["crit"] == nil else { throw .externalToken("The token uses critical header extensions, which are not supported.") }
        let kid = jws.header["kid"]?.stringValue
        guard kid != nil || jws.header["kid"] == nil else { throw .externalToken("The token's key id (kid) is not a string.") }
        let candidates = issuer.keys.filter { $0.algorithm == algorithm && (kid == nil || $0.kid == kid) }
        // One signature check per token: without a `kid`, only an issuer with a single key of the
        // algorithm can be used, so a token cannot make a worker try every key.
        guard candidates.count == 1 else {
            throw .externalToken(kid == nil
                ? "The token names no key (kid) and the issuer has no single key for its algorithm."
                : "The token's key (kid) is not among the issuer's published keys; the account may need to refresh them.")
        }
        guard candidates[0].verifies(jws.signature, signs: jws.signingInput) else {
            throw .externalToken("The token's signature does not verify.")
        }
        let audiences: [String] = switch jws.payload["aud"] {
        case .string(let one): [one]
        case .array(let many): many.compactMap(\.stringValue)
        default: []
        }
        guard audiences.contains(settings.audience) else { throw .externalToken("The token is not for this audience.") }
        guard let expiry = time(jws.payload["exp"]) else { throw .externalToken("The token has no expiry (exp).") }
        guard now.timeIntervalSince1970 < expiry + leeway else { throw .externalToken("The token has expired.") }
        if let notBefore = time(jws.payload["nbf"]), now.timeIntervalSince1970 + leeway < notBefore {
            throw .externalToken("The token is not valid yet (nbf).")
        }
    }

    private static func grant(
        for claims: JSONObject, by issuer: TrustedIssuerIndex.Issuer, server: SnapshotServer, in snapshot: EnforcementSnapshot, now: Date
    ) throws(GrantRefusal) -> AuthenticatedGrant {
        let settings = issuer.settings
        guard let label = claims[settings.identityClaim]?.stringValue, !label.isEmpty else {
            throw .externalToken("The token has no \(settings.identityClaim) claim naming an identity.")
        }
        // An unverified address names whoever typed it (OIDC Core §5.7).
        if settings.identityClaim == "email", claims["email_verified"]?.boolValue == false {
            throw .externalToken("The token's email is not verified.")
        }
        let index = snapshot.trustedIssuers
        guard let identity = index.identity(labelled: label, account: server.accountID) else {
            throw .externalToken("No identity of this account is labelled with the token's \(settings.identityClaim).")
        }
        let grants = index.activeGrants(of: identity.id, on: server.id, now: now)
        guard grants.count == 1, var grant = grants.first, let counterOwner = snapshot.counterOwners[grant.id] else {
            throw .externalToken(grants.isEmpty
                ? "The identity has no active grant on this server."
                : "The identity has more than one active grant on this server; keep one for tokens from an identity provider.")
        }
        if let mapped = groupPolicy(claims, settings) {
            // The audit row then names the policy that decided. A mapped policy since deleted
            // leaves none: every call is denied, as for a grant whose policy was deleted.
            grant.policyID = mapped
        }
        let policy = grant.policyID.flatMap { snapshot.policiesByID[$0] }
        var caller = AuthenticatedGrant(grant: grant, identity: identity, server: server, policy: policy, counterOwner: counterOwner)
        caller.method = .externalIssuer(issuer: settings.issuer, clientID: claims["azp"]?.stringValue ?? claims["client_id"]?.stringValue)
        return caller
    }

    /// The policy of the first mapping whose group the token carries (the claim is a string or a
    /// list of strings); nil when none is mapped.
    private static func groupPolicy(_ claims: JSONObject, _ settings: SnapshotTrustedIssuer) -> UUID? {
        guard let claim = settings.groupClaim, let value = claims[claim] else { return nil }
        let groups: Set<String> = switch value {
        case .string(let one): [one]
        case .array(let many): Set(many.compactMap(\.stringValue))
        default: []
        }
        return settings.groupPolicies.first { groups.contains($0.group) }?.policyID
    }

    /// A NumericDate (RFC 7519 §2): seconds since the epoch, maybe fractional.
    private static func time(_ value: JSONValue?) -> TimeInterval? {
        guard let number = value?.numberValue?.doubleValue, number.isFinite else { return nil }
        return number
    }
}
