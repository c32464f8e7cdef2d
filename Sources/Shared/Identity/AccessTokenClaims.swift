import Foundation
import JSON
import JWTKit

/// The claims of an OAuth access token the control plane issues and every worker verifies
/// (issue 14 items 2-3): an RFC 9068 JWT (`typ: at+jwt`), signed with EdDSA under a `kid` that
/// names a `SnapshotOAuthSigningKey`. Short-lived; never forwarded upstream.
public struct AccessTokenClaims: JWTPayload, Equatable {
    /// The control plane's issuer identifier (its public URL).
    public var iss: IssuerClaim
    /// The identity the client acts as.
    public var sub: SubjectClaim
    /// The one gateway URL the token is for (RFC 8707): `<public gateway URL>/mcp/<serverId>`.
    public var aud: AudienceClaim
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    public var jti: IDClaim
    /// The OAuth client's id (a CIMD URL or a registered client id).
    public var clientID: String
    /// Space-separated granted scopes.
    public var scope: String
    /// The `SnapshotOAuthAuthorization` (the member's consent) this token was issued under.
    public var authorizationID: UUID
    /// The grant the client acts as, and its account.
    public var grantID: UUID
    public var accountID: UUID
    /// The configuration change number when the token was issued, so at least the one that
    /// published its authorization: a worker whose snapshot is older waits for it before refusing
    /// (the client calls within milliseconds of the token exchange, issue 14 item 3).
    public var snapshotVersion: Int64?

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, jti, scope
        case clientID = "client_id"
        case authorizationID = "pcs_authorization"
        case grantID = "pcs_grant"
        case accountID = "pcs_account"
        case snapshotVersion = "pcs_snapshot"
    }

    public init(
        iss: String, sub: String, aud: String, exp: Date, iat: Date, jti: String, clientID: String, scope: String,
        authorizationID: UUID, grantID: UUID, accountID: UUID, snapshotVersion: Int64? = nil
    ) {
        self.iss = IssuerClaim(value: iss)
        self.sub = SubjectClaim(value: sub)
        self.aud = AudienceClaim(value: [aud])
        self.exp = ExpirationClaim(value: exp)
        self.iat = IssuedAtClaim(value: iat)
        self.jti = IDClaim(value: jti)
        self.clientID = clientID
        self.scope = scope
        self.authorizationID = authorizationID
        self.grantID = grantID
        self.accountID = accountID
        self.snapshotVersion = snapshotVersion
    }

    /// Only the signature and expiry: the issuer, audience and authorization are checked by the
    /// verifier against the snapshot, which this payload cannot see.
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

extension AccessTokenClaims {
    /// The claims of a payload `CompactJWS` parsed (the gateway's one parse of a token, issue 14):
    /// nil when a claim is missing or of the wrong type. NumericDates may be fractional (RFC 7519 §2);
    /// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
    public init?(payload: JSONObject) {
        func string(_ name: String) -> String? { payload[name]?.stringValue }
        func uuid(_ name: String) -> UUID? { string(name).flatMap(UUID.init(uuidString:)) }
        func date(_ name: String) -> Date? {
            guard let seconds = payload[name]?.numberValue?.doubleValue, seconds.isFinite else { return nil }
            return Date(timeIntervalSince1970: seconds)
        }
        let audiences: [String]? = switch payload["aud"] {
        case .string(let one): [one]
        case .array(let many): many.allSatisfy { $0.stringValue != nil } ? many.compactMap(\.stringValue) : nil
        default: nil
        }
        var snapshotVersion: Int64?
        if let version = payload["pcs_snapshot"], !version.isNull {
            guard let number = version.numberValue?.int64Value else { return nil }
            snapshotVersion = number
        }
        guard let iss = string("iss"), let sub = string("sub"), let audiences, let exp = date("exp"), let iat = date("iat"),
              let jti = string("jti"), let clientID = string("client_id"), let scope = string("scope"),
              let authorizationID = uuid("pcs_authorization"), let grantID = uuid("pcs_grant"), let accountID = uuid("pcs_account")
        else { return nil }
        self.init(
            iss: iss, sub: sub, aud: "", exp: exp, iat: iat, jti: jti, clientID: clientID, scope: scope,
            authorizationID: authorizationID, grantID: grantID, accountID: accountID, snapshotVersion: snapshotVersion)
        aud = AudienceClaim(value: audiences)
    }
}
