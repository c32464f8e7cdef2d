import ArgumentParser
import Foundation
import Logging
import Shared

/// `controlplane reseal`: re-encrypts every stored secret under the active key (issue 10 item 22),
/// so that after a rotation (`PORTCULLIS_SECRET_KEYS=v2:NEW,v1:OLD`) the old key can be dropped
/// from the ring. The stored secrets are upstream credentials, the servers' and the identities' own,
/// and the OAuth signing keys' private keys (issue 14 leftover 6; trusted issuers store nothing
/// sealed: their keys are public). Each row is resealed in its own transaction, with its config
/// change when workers hold the ciphertext, so they receive it in their next delta; the command can
/// be stopped and run again at any time.
struct ResealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reseal",
        abstract: "Re-encrypt every stored secret under the active (first) secret key, then exit."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let keyRing = try common.requiredKeyRing()
        try await common.withDatabase { database, logger in
            let count = try await SecretResealing(database: database, keyRing: keyRing).run(logger: logger)
            logger.info("secrets resealed under the active key", metadata: ["secrets.resealed": "\(count)", "key.version": "\(keyRing.active.version)"])
        }
    }
}

/// Reseals the stored secrets that are not under the active key: upstream credentials (the servers'
/// own and the identities' own, issue 14 item 5), the secrets of upstream OAuth connect (refresh
/// tokens and client secrets, which workers never see) and OAuth signing keys, each row bound where
/// it lives. Pending upstream OAuth requests live 10 minutes and are left to expire.
struct SecretResealing {
    let database: Database
    let keyRing: SecretKeyRing

    /// A row holding a sealed secret: where it is, the change that tells workers (none for a row
    /// workers never see), its binding.
    private struct SealedRow {
        let table: String
        /// The sealed columns' common prefix: every table stores `<secret>_ciphertext` and
        /// `<secret>_key_version`.
        let secret: String
        let purpose: KeyPurpose
        let change: (account: UUID, kind: SnapshotEntityKind)?
        let id: UUID
        let binding: SecretBinding
    }

    /// The number of rows resealed. A row that does not open (a key missing from the ring) is
    /// logged and left as it is, and the run goes on; the error is thrown at the end.
    func run(logger: Logger) async throws -> Int {
        let activeVersion = keyRing.active.version
        let servers = try await database.query("""
            SELECT account_id, id FROM servers
            WHERE credentials_ciphertext IS NOT NULL AND credentials_key_version <> \(activeVersion)
            """).map { row in
            let (account, server): (UUID, UUID) = (try row.decode("account_id"), try row.decode("id"))
            return credential("servers", .server, account: account, id: server, binding: UpstreamAuth.binding(account: account, server: server))
        }
        let identityCredentials = try await database.query("""
            SELECT account_id, id, server_id, identity_id FROM identity_credentials WHERE credentials_key_version <> \(activeVersion)
            """).map { row in
            let account: UUID = try row.decode("account_id")
            return credential(
                "identity_credentials", .identityCredential, account: account, id: try row.decode("id"),
                binding: UpstreamAuth.binding(account: account, server: try row.decode("server_id"), identity: try row.decode("identity_id")))
        }
        // Workers see only the public half of a signing key: no change to publish.
        let signingKeys = try await database.query("""
            SELECT id, kid FROM oauth_signing_keys WHERE private_key_key_version <> \(activeVersion)
            """).map { row in
            SealedRow(
                table: "oauth_signing_keys", secret: "private_key",
                purpose: .oauthSigningKeys, change: nil, id: try row.decode("id"), binding: OAuthSigningKeyStore.binding(kid: try row.decode("kid")))
        }
        let refreshTokens = try await database.query("""
            SELECT account_id, id, server_id, identity_id FROM upstream_oauth_connections
            WHERE refresh_token_ciphertext IS NOT NULL AND refresh_token_key_version <> \(activeVersion)
            """).map { row in
            let account: UUID = try row.decode("account_id")
            return SealedRow(
                table: "upstream_oauth_connections", secret: "refresh_token",
                purpose: .upstreamCredentials, change: nil, id: try row.decode("id"),
                binding: UpstreamOAuthBinding.refreshToken(account: account, server: try row.decode("server_id"), identity: try row.decode("identity_id")))
        }
        let clientSecrets = try await database.query("""
            SELECT account_id, id, server_id, issuer FROM upstream_oauth_clients
            WHERE client_secret_ciphertext IS NOT NULL AND client_secret_key_version <> \(activeVersion)
            """).map { row in
            let account: UUID = try row.decode("account_id")
            return SealedRow(
                table: "upstream_oauth_clients", secret: "client_secret",
                purpose: .upstreamCredentials, change: nil, id: try row.decode("id"),
                binding: UpstreamOAuthBinding.clientSecret(account: account, server: try row.decode("server_id"), issuer: try row.decode("issuer")))
        }
        var resealed = 0
        var failed = 0
        for row in servers + identityCredentials + refreshTokens + clientSecrets + signingKeys {
            do {
                if try await reseal(row) { resealed += 1 }
            } catch {
                failed += 1
                logger.error("cannot reseal a stored secret", metadata: [
                    "account.id": "\(row.change?.account.uuidString ?? "none")", "secret.table": "\(row.table)", "secret.id": "\(row.id)",
                    "error": "\(error)",
                ])
            }
        }
        if failed > 0 { throw ResealFailed(count: failed) }
        return resealed
    }

    private func credential(_ table: String, _ kind: SnapshotEntityKind, account: UUID, id: UUID, binding: SecretBinding) -> SealedRow {
        SealedRow(
            table: table, secret: "credentials", purpose: .upstreamCredentials,
            change: (account, kind), id: id, binding: binding)
    }

    /// Locks the row, so a concurrent update is neither lost nor overwritten.
    private func reseal(_ target: SealedRow) async throws -> Bool {
        let sealer = SecretSealer(keyRing: keyRing, purpose: target.purpose)
        return try await database.transaction { tx in
            guard let row = try await tx.query("""
                SELECT \(unsafeSQL: target.secret)_ciphertext AS ciphertext FROM \(unsafeSQL: target.table)
                WHERE id = \(target.id) AND \(unsafeSQL: target.secret)_ciphertext IS NOT NULL FOR UPDATE
                """).first else { return false }
            let sealed = try SealedSecret(storedBytes: try row.decode("ciphertext"))
            guard let fresh = try sealer.resealed(sealed, boundTo: target.binding) else { return false }
            try await tx.execute("""
                UPDATE \(unsafeSQL: target.table)
                SET \(unsafeSQL: target.secret)_ciphertext = \(fresh.storedBytes), \(unsafeSQL: target.secret)_key_version = \(fresh.keyVersion)
                WHERE id = \(target.id)
                """)
            if let change = target.change {
                try await ConfigChangeLog.record(tx, account: change.account, kind: change.kind, id: target.id, .upsert)
            }
            return true
        }
    }
}

struct ResealFailed: Error, CustomStringConvertible {
    let count: Int
    var description: String { "\(count) secret(s) could not be resealed; see the log lines above" }
}
