import ArgumentParser
import Foundation
import Logging
import Shared

/// `controlplane reseal`: re-encrypts every stored secret under the active key (issue 10 item 22),
/// so that after a rotation (`PORTCULLIS_SECRET_KEYS=v2:NEW,v1:OLD`) the old key can be dropped
/// from the ring. Today the stored secrets are the servers' upstream credentials. Each server is
/// resealed in its own transaction with its config change, so workers receive the new ciphertext
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
            logger.info("secrets resealed under the active key", metadata: ["servers.resealed": "\(count)", "key.version": "\(keyRing.active.version)"])
            await database.close()
        } catch {
            await database.close()
            throw error
        }
    }
}

/// Reseals servers' upstream credentials that are not under the sealer's active key.
struct CredentialResealing {
    let database: Database
    let sealer: SecretSealer

    /// The number of servers resealed. A row that does not open (a key missing from the ring) is
    /// logged and left as it is, and the run goes on; the error is thrown at the end.
    func run(logger: Logger) async throws -> Int {
        let activeVersion = sealer.activeVersion
        let stale = try await database.query("""
            SELECT account_id, id FROM servers
            WHERE credentials_ciphertext IS NOT NULL AND credentials_key_version <> \(activeVersion)
            """).map { (account: try $0.decode("account_id", as: UUID.self), server: try $0.decode("id", as: UUID.self)) }
        var resealed = 0
        var failed = 0
        for (account, server) in stale {
            do {
                if try await reseal(account: account, server: server) { resealed += 1 }
            } catch {
                failed += 1
                logger.error("cannot reseal a server's credentials", metadata: [
                    "account.id": "\(account)", "server.id": "\(server)", "error": "\(error)",
                ])
            }
        }
        if failed > 0 { throw ResealFailed(count: failed) }
        return resealed
    }

    /// Locks the row, so a concurrent credentials update is neither lost nor overwritten.
    private func reseal(account: UUID, server: UUID) async throws -> Bool {
        try await database.transaction { tx in
            guard let row = try await tx.query("""
                SELECT credentials_ciphertext FROM servers
                WHERE account_id = \(account) AND id = \(server) AND credentials_ciphertext IS NOT NULL FOR UPDATE
                """).first else { return false }
            let sealed = try SealedSecret(storedBytes: try row.decode("credentials_ciphertext"))
            guard let fresh = try sealer.resealed(sealed, boundTo: UpstreamAuth.binding(account: account, server: server)) else { return false }
            try await tx.execute("""
                UPDATE servers SET credentials_ciphertext = \(fresh.storedBytes), credentials_key_version = \(fresh.keyVersion)
                WHERE account_id = \(account) AND id = \(server)
                """)
            try await ConfigChangeLog.record(tx, account: account, kind: .server, id: server, .upsert)
            return true
        }
    }
}

struct ResealFailed: Error, CustomStringConvertible {
    let count: Int
    var description: String { "\(count) server(s) could not be resealed; see the log lines above" }
}
