import Foundation

/// An OIDC issuer an account trusts (issue 14 item 4): a token it signed, for `audience`, names an
/// identity of the account through `identityClaim`, and may pick a policy through `groupClaim`.
/// The control plane fetches the issuer's JWKS (workers never fetch anything) and publishes the
/// usable public keys here.
public struct SnapshotTrustedIssuer: Codable, Sendable, Equatable, Identifiable {
    /// One group → policy mapping; the first of the list whose group the token carries wins.
    public struct GroupPolicy: Codable, Sendable, Equatable {
        public var group: String
        public var policyID: UUID

        public init(group: String, policyID: UUID) {
            self.group = group
            self.policyID = policyID
        }
    }

    /// A public key of the issuer's JWKS, with the JWK's own public parameters (base64url): `x`
    /// for EdDSA (Ed25519); `x`, `y` for ES256 (P-256); `n`, `e` for RS256.
    public struct Key: Codable, Sendable, Equatable {
        public var kid: String?
        public var algorithm: IssuerSigningAlgorithm
        public var x: String?
        public var y: String?
        public var n: String?
        public var e: String?

        public init(kid: String?, algorithm: IssuerSigningAlgorithm, x: String? = nil, y: String? = nil, n: String? = nil, e: String? = nil) {
            self.kid = kid
            self.algorithm = algorithm
            self.x = x
            self.y = y
            self.n = n
            self.e = e
        }
    }

    public var id: UUID
    public var accountID: UUID
    /// The `iss` its tokens carry, exactly as the issuer's discovery document states it.
    public var issuer: String
    /// The `aud` a token must carry (one of its values).
    public var audience: String
    public var algorithms: [IssuerSigningAlgorithm]
    /// The claim whose value is the label of the identity the caller acts as (`sub`, `email`, ...).
    public var identityClaim: String
    public var groupClaim: String?
    public var groupPolicies: [GroupPolicy]
    public var keys: [Key]

    public init(
        id: UUID, accountID: UUID, issuer: String, audience: String, algorithms: [IssuerSigningAlgorithm],
        identityClaim: String, groupClaim: String?, groupPolicies: [GroupPolicy], keys: [Key]
    ) {
        self.id = id
        self.accountID = accountID
        self.issuer = issuer
        self.audience = audience
        self.algorithms = algorithms
        self.identityClaim = identityClaim
        self.groupClaim = groupClaim
        self.groupPolicies = groupPolicies
        self.keys = keys
    }

    /// An algorithm this worker does not know (a newer control plane's), and the keys for it, are
    /// left out rather than refusing the whole snapshot during a rolling upgrade: tokens signed
    /// with it are refused here until the worker is upgraded.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(UUID.self, forKey: .id)
        accountID = try container.decode(UUID.self, forKey: .accountID)
        issuer = try container.decode(String.self, forKey: .issuer)
        audience = try container.decode(String.self, forKey: .audience)
        algorithms = try container.decode([String].self, forKey: .algorithms).compactMap(IssuerSigningAlgorithm.init(rawValue:))
        identityClaim = try container.decode(String.self, forKey: .identityClaim)
        groupClaim = try container.decodeIfPresent(String.self, forKey: .groupClaim)
        groupPolicies = try container.decode([GroupPolicy].self, forKey: .groupPolicies)
        keys = try container.decode([KnownKey].self, forKey: .keys).compactMap(\.key)
    }

    /// A key, or nil for a key of an algorithm this worker does not know.
    private struct KnownKey: Decodable {
        let key: Key?

        init(from decoder: any Decoder) throws {
            key = try? Key(from: decoder)
        }
    }
}
