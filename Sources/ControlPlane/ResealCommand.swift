import ArgumentParser
import Foundation
import Logging
import Shared

/// `controlplane reseal`: re-encrypts every stored secret under the active key (issue 10 item 22),
/// so that after a rotation (`PORTCULLIS_SECRET_KEYS=v2:NEW,v1:OLD`) the old key can be dropped
/// from the ring. Today the stored secrets are upstream credentials, the servers' and the
/// identities' own. Each row is resealed in its own transaction with its config change, so workers
/// receive the new ciphertext
/// in their next delta; the command can be stopped and run again at any time.
struct ResealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reseal",
        abstract: "Re-encrypt every stored secret under the active (first) secret key, then exit."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        bootstrapLogging(format: common.logFormat, level: common.logLevel)
        let logger = Logger(label: "portcullis.controlplane")
        guard let keyRing = try common.keyRing() else { throw ValidationError("--secret-keys (or PORTCULLIS_SECRET_KEYS) is required") }
        let database = try common.openDatabase(logger: logger)
        do {
            let count = try await CredentialResealing(database: database, sealer: SecretSealer(keyRing: keyRing, purpose: .upstreamCredentials))
                .run(logger: logger)
            logger.info("secrets resealed under the active key", metadata: ["credentials.resealed": "\(count)", "key.version": "\(keyRing.active.version)"])
            await database.close()
        } catch {
            await database.close()
            throw error
        }
    }
}

/// Reseals upstream credentials that are not under the sealer's active key: the servers' own, the
/// identities' own (issue 14 item 5), and the secrets of upstream OAuth connect (refresh tokens and
/// client secrets, which workers never see), each row bound where it lives. Pending OAuth requests
/// live 10 minutes and are left to expire.
struct CredentialResealing {
    let database: Database
    let sealer: SecretSealer

    /// A row holding a sealed secret: its table and columns, the change that tells workers (nil
    /// for secrets only the control plane reads), its binding.
    private struct SealedRow {
        let table: String
        var ciphertextColumn = "credentials_ciphertext"
        var versionColumn = "credentials_key_version"
        let kind: SnapshotEntityKind?
        let account: UUID
        let id: UUID
        let binding: SecretBinding
    }

    /// The number of rows resealed. A row that does not open (a key missing from the ring) is
    /// logged and left as it is, and the run goes on; the error is thrown at the end.
    func run(logger: Logger) async throws -> Int {
        let activeVersion = sealer.activeVersion
        let servers = try await database.query("""
            SELECT account_id, id FROM servers
            WHERE credentials_ciphertext IS NOT NULL AND credentials_key_version <> \(activeVersion)
            """).map { row in
            let (account, server): (UUID, UUID) = (try row.decode("account_id"), try row.decode("id"))
            return SealedRow(table: "servers", kind: .server, account: account, id: server, binding: UpstreamAuth.binding(account: account, server: server))
        }
        let identityCredentials = try await database.query("""
            SELECT account_id, id, server_id, identity_id FROM identity_credentials WHERE credentials_key_version <> \(activeVersion)
            """).map { row in
            let account: UUID = try row.decode("account_id")
            return SealedRow(
                table: "identity_credentials", kind: .identityCredential, account: account, id: try row.decode("id"),
                binding: UpstreamAuth.binding(account: account, server: try row.decode("server_id"), identity: try row.decode("identity_id")))
        }
        let refreshTokens = try await database.query("""
            SELECT account_id, id, server_id, identity_id FROM upstream_oauth_connections
            WHERE refresh_token_ciphertext IS NOT NULL AND refresh_token_key_version <> \(activeVersion)
            """).map { row in
            let account: UUID = try row.decode("account_id")
            return SealedRow(
                table: "upstream_oauth_connections", ciphertextColumn: "refresh_token_ciphertext", versionColumn: "refresh_token_key_version",
                kind: nil, account: account, id: try row.decode("id"),
                binding: UpstreamOAuthBinding.refreshToken(account: account, server: try row.decode("server_id"), identity: try row.decode("identity_id")))
        }
        let clientSecrets = try await database.query("""
            SELECT account_id, id, server_id, issuer FROM upstream_oauth_clients
            WHERE client_secret_ciphertext IS NOT NULL AND client_secret_key_version <> \(activeVersion)
            """).map { row in
            let account: UUID = try row.decode("account_id")
            return SealedRow(
                table: "upstream_oauth_clients", ciphertextColumn: "client_secret_ciphertext", versionColumn: "client_secret_key_version",
                kind: nil, account: account, id: try row.decode("id"),
                binding: UpstreamOAuthBinding.clientSecret(account: account, server: try row.decode("server_id"), issuer: try row.decode("issuer")))
        }
        var resealed = 0
        var failed = 0
        for row in servers + identityCredentials + refreshTokens + clientSecrets {
            do {
                if try await reseal(row) { resealed += 1 }
            } catch {
                failed += 1
                logger.error("cannot reseal an upstream credential", metadata: [
                    "account.id": "\(row.account)", "credential.table": "\(row.table)", "credential.id": "\(row.id)", "error": "\(error)",
                ])
            }
        }
        if failed > 0 { throw ResealFailed(count: failed) }
        return resealed
    }

    /// Locks the row, so a concurrent credentials update is neither lost nor overwritten.
    private func reseal(_ target: SealedRow) async throws -> Bool {
        try await database.transaction { tx in
            guard let row = try await tx.query("""
                SELECT \(unsafeSQL: target.ciphertextColumn) AS sealed FROM \(unsafeSQL: target.table)
                WHERE account_id = \(target.account) AND id = \(target.id) AND \(unsafeSQL: target.ciphertextColumn) IS NOT NULL FOR UPDATE
                """).first else { return false }
            let sealed = try SealedSecret(storedBytes: try row.decode("sealed"))
            guard let fresh = try sealer.resealed(sealed, boundTo: target.binding) else { return false }
            try await tx.execute("""
                UPDATE \(unsafeSQL: target.table)
                SET \(unsafeSQL: target.ciphertextColumn) = \(fresh.storedBytes), \(unsafeSQL: target.versionColumn) = \(fresh.keyVersion)
                WHERE account_id = \(target.account) AND id = \(target.id)
                """)
            if let kind = target.kind { try await ConfigChangeLog.record(tx, account: target.account, kind: kind, id: target.id, .upsert) }
            return true
        }
    }
}

struct ResealFailed: Error, CustomStringConvertible {
    let count: Int
    var description: String { "\(count) credential(s) could not be resealed; see the log lines above" }
}
