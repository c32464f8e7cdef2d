import Crypto
import Foundation
import Shared

/// The Ed25519 keys access tokens are signed with (issue 14 item 2), in `oauth_signing_keys`.
///
/// Installation-wide, so read and written as the owner, never through `TenantDatabase`; the
/// private key is sealed under `KeyPurpose.oauthSigningKeys`. Every change is published as a
/// `SnapshotOAuthSigningKey` under the nil account id, so workers verify tokens offline.
struct OAuthSigningKeyStore: Sendable {
    let database: Database
    let sealer: SecretSealer
    /// The issuer new keys are made for (`--public-url`).
    let issuer: String

    /// How long a replaced key keeps verifying tokens when the issuer changed at start.
    static let defaultOverlap: Duration = .seconds(3600)
    /// Serialises key creation between control-plane replicas ("portoauk").
    private static let advisoryLockKey: Int64 = 0x706F_7274_6F61_756B
    static let installationAccount = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!

    /// A key that signs: its `kid` and the opened private key.
    struct SigningKey: Sendable {
        let kid: String
        let privateKey: Curve25519.Signing.PrivateKey
    }

    /// The current key for this issuer; made (retiring any other current key after the overlap)
    /// when there is none, which is what happens at the first start and after `--public-url` changes.
    func current() async throws -> SigningKey {
        if let key = try await database.withSession(readCurrent) { return key }
        return try await database.transaction { tx in
            try await tx.execute("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))")
            if let key = try await readCurrent(tx) { return key }
            return try await replaceCurrent(tx, overlap: Self.defaultOverlap)
        }
    }

    /// `controlplane oauth-rotate-key`: a new current key; the old one verifies for `overlap` more.
    /// Keys whose overlap has ended are deleted (and their deletion published).
    @discardableResult
    func rotate(overlap: Duration) async throws -> String {
        try await database.transaction { tx in
            try await tx.execute("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))")
            return try await replaceCurrent(tx, overlap: overlap).kid
        }
    }

    /// The `kid` of the current key for this issuer, nil when there is none yet: read per token, so
    /// the signer notices a rotation without reopening the key (`AccessTokenSigner`).
    func currentKid(_ session: DatabaseSession) async throws -> String? {
        try await session.query("SELECT kid FROM oauth_signing_keys WHERE retires_at IS NULL AND issuer = \(issuer)").first?.decode("kid")
    }

    private func readCurrent(_ session: DatabaseSession) async throws -> SigningKey? {
        guard let row = try await session.query("""
            SELECT kid, private_key_ciphertext FROM oauth_signing_keys WHERE retires_at IS NULL AND issuer = \(issuer)
            """).first else { return nil }
        let kid: String = try row.decode("kid")
        let sealed = try SealedSecret(storedBytes: try row.decode("private_key_ciphertext"))
        let raw = try sealer.open(sealed, boundTo: Self.binding(kid: kid))
        return SigningKey(kid: kid, privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
    }

    private func replaceCurrent(_ tx: DatabaseSession, overlap: Duration) async throws -> SigningKey {
        let overlapSeconds = Double(overlap.components.seconds)
        for row in try await tx.query("""
            UPDATE oauth_signing_keys SET retires_at = now() + make_interval(secs => \(overlapSeconds))
            WHERE retires_at IS NULL RETURNING id
            """) {
            try await ConfigChangeLog.record(tx, account: Self.installationAccount, kind: .oauthSigningKey, id: try row.decode("id"), .upsert)
        }
        for row in try await tx.query("DELETE FROM oauth_signing_keys WHERE retires_at < now() RETURNING id") {
            try await ConfigChangeLog.record(tx, account: Self.installationAccount, kind: .oauthSigningKey, id: try row.decode("id"), .delete)
        }
        let privateKey = Curve25519.Signing.PrivateKey()
        let publicKey = Base64URL.encode(privateKey.publicKey.rawRepresentation)
        // The RFC 7638-style thumbprint names the key; its first 16 characters (96 bits) are plenty.
        let kid = String(Base64URL.encode(SHA256.hash(data: privateKey.publicKey.rawRepresentation)).prefix(16))
        let sealed = try sealer.seal(Array(privateKey.rawRepresentation), boundTo: Self.binding(kid: kid))
        let id: UUID = try await tx.query("""
            INSERT INTO oauth_signing_keys (kid, issuer, public_key, private_key_ciphertext, private_key_key_version)
            VALUES (\(kid), \(issuer), \(publicKey), \(sealed.storedBytes), \(sealed.keyVersion))
            RETURNING id
            """).first!.decode("id")
        try await ConfigChangeLog.record(tx, account: Self.installationAccount, kind: .oauthSigningKey, id: id, .upsert)
        return SigningKey(kid: kid, privateKey: privateKey)
    }

    /// A sealed private key opens only as the key of its own `kid`.
    static func binding(kid: String) -> SecretBinding {
        SecretBinding(additionalData: Array("oauth-signing-key|\(kid)".utf8))
    }

    /// Every key that still verifies, as the snapshot and the JWKS show them.
    static func published(_ session: DatabaseSession, ids: [UUID]?) async throws -> [SnapshotOAuthSigningKey] {
        let list = ids.map { TextArray($0.map(\.uuidString)) }
        return try await session.query("""
            SELECT id, kid, public_key, issuer, retires_at FROM oauth_signing_keys
            WHERE \(list)::uuid[] IS NULL OR id = ANY(\(list)::uuid[])
            ORDER BY created_at
            """).map { row in
            SnapshotOAuthSigningKey(
                id: try row.decode("id"), kid: try row.decode("kid"), algorithm: "EdDSA", publicKey: try row.decode("public_key"),
                issuer: try row.decode("issuer"), retiresAt: try row.decode("retires_at"))
        }
    }
}
