import Crypto
import Foundation
import Shared

/// What a worker needs to verify the control plane's access tokens (issue 14 item 3), indexed once
/// per snapshot so a request pays a dictionary lookup, never a key import.
struct OAuthVerificationIndex: Sendable {
    struct Key: Sendable {
        let kid: String
        let publicKey: Curve25519.Signing.PublicKey
        let issuer: String
        let retiresAt: Date?

        func isRetired(at now: Date) -> Bool { retiresAt.map { $0 <= now } ?? false }
    }

    let keysByKid: [String: Key]
    let authorizationsByID: [UUID: SnapshotOAuthAuthorization]
    /// Every issuer a key names, retired or not: a token that claims one of them is ours to verify
    /// (and to refuse with a clear reason), never handed to the external issuers' verifier.
    let issuers: Set<String>

    /// Keys of another algorithm, or whose public key does not import, are left out: a token
    /// naming them is refused like one naming an unknown kid.
    init(keys: [SnapshotOAuthSigningKey], authorizations: [SnapshotOAuthAuthorization]) {
        var keysByKid: [String: Key] = [:]
        for key in keys where key.algorithm == OAuthTokenVerifier.algorithm {
            // The raw 32 bytes in base64url, a JWK's `x` (RFC 8037 §2).
            guard let raw = Base64URL.decode(key.publicKey), let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
            else { continue }
            keysByKid[key.kid] = Key(kid: key.kid, publicKey: publicKey, issuer: key.issuer, retiresAt: key.retiresAt)
        }
        self.keysByKid = keysByKid
        self.issuers = Set(keysByKid.values.map(\.issuer))
        self.authorizationsByID = Dictionary(authorizations.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The authorization servers a protected resource names (RFC 9728 `authorization_servers`):
    /// the issuers of the keys still in force, sorted so the document is stable.
    func authorizationServers(at now: Date) -> [String] {
        Set(keysByKid.values.filter { !$0.isRetired(at: now) }.map(\.issuer)).sorted()
    }
}
