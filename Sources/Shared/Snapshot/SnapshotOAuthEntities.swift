import Foundation

// What a worker needs to verify OAuth access tokens without asking the control plane (issue 14
// item 3): the control plane's public signing keys, and which OAuth client acts as which grant.

/// A public key the control plane signs access tokens with. Keys are installation-wide: their
/// `config_changes` rows carry the nil account id (`UUID(uuid: UUID_NULL)`, all zeros).
public struct SnapshotOAuthSigningKey: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    /// The JWS `kid` header that names this key.
    public var kid: String
    /// The JWS algorithm; "EdDSA" (Ed25519) is the only one issued.
    public var algorithm: String
    /// The raw public key, base64url without padding (a JWK's `x` for an OKP key).
    public var publicKey: String
    /// The authorization server's issuer identifier (RFC 8414); a token whose `iss` differs is refused.
    public var issuer: String
    /// When the key's overlap window ends: tokens it signed are refused from then on. Nil while it
    /// is the current key.
    public var retiresAt: Date?

    public init(id: UUID, kid: String, algorithm: String, publicKey: String, issuer: String, retiresAt: Date?) {
        self.id = id
        self.kid = kid
        self.algorithm = algorithm
        self.publicKey = publicKey
        self.issuer = issuer
        self.retiresAt = retiresAt
    }
}

/// A member's consent: the OAuth client `clientID` acts as grant `grantID`. An access token names
/// its authorization; a revoked authorization (or grant) refuses the token at the next snapshot.
public struct SnapshotOAuthAuthorization: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var accountID: UUID
    public var grantID: UUID
    public var clientID: String
    public var revoked: Bool

    public init(id: UUID, accountID: UUID, grantID: UUID, clientID: String, revoked: Bool) {
        self.id = id
        self.accountID = accountID
        self.grantID = grantID
        self.clientID = clientID
        self.revoked = revoked
    }
}
