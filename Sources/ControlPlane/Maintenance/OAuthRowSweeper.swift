import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Deletes the OAuth rows nothing can use any more (issue 14 leftover 4), so the authorization
/// server's tables do not grow forever. Off the request path, in batches of `batchSize` that skip
/// rows another transaction holds (a token exchange in progress), like `CounterSweeper`; with
/// several replicas each sweeps and they skip each other's rows. Every row is kept `grace` past the
/// moment it became useless, so the reuse detection still sees what it needs:
/// - authorization requests once both the request and its code have expired (a code presented
///   again within its life revokes its authorization, OAuth 2.1 §4.1.3; an expired one is refused
///   either way);
/// - refresh tokens, used or not, once expired (a used token presented again within its life
///   revokes the authorization, OAuth 2.1 §4.3.1; an expired one is refused either way);
/// - revoked authorizations `revokedAuthorizationRetention` after their revocation (the console
///   lists them that long), with their requests and tokens by cascade, published as deleted so
///   workers drop them; their access tokens expired long before;
/// - dynamically registered clients that no request or authorization has named within
///   `unusedClientLifetime` of their registration.
struct OAuthRowSweeper: Service {
    let database: Database
    var interval = Duration.seconds(3600)
    var batchSize = 1000
    var grace = Duration.seconds(86_400)
    var revokedAuthorizationRetention = Duration.seconds(30 * 86_400)
    var unusedClientLifetime = Duration.seconds(86_400)
    let logger: Logger

    func run() async throws {
        await repeatUntilShutdown(every: interval, firstRound: .immediately) { await sweep() }
    }

    /// How many rows of each kind a sweep deleted.
    struct Swept: Equatable {
        var requests = 0
        var refreshTokens = 0
        var authorizations = 0
        var clients = 0
    }

    @discardableResult
    func sweep() async -> Swept {
        let graceSeconds = Double(grace.components.seconds)
        let unusedSeconds = Double(unusedClientLifetime.components.seconds)
        let retentionSeconds = Double(revokedAuthorizationRetention.components.seconds)
        var swept = Swept()
        // Across accounts by design, like the counter sweeper and the snapshot reader.
        swept.requests = await inBatches("authorization requests") { tx in
            try await tx.execute("""
                DELETE FROM oauth_requests WHERE id = ANY (ARRAY(
                    SELECT id FROM oauth_requests
                    WHERE expires_at < now() - make_interval(secs => \(graceSeconds))
                      AND (code_expires_at IS NULL OR code_expires_at < now() - make_interval(secs => \(graceSeconds)))
                    LIMIT \(batchSize) FOR UPDATE SKIP LOCKED))
                """).affectedRows
        }
        swept.refreshTokens = await inBatches("refresh tokens") { tx in
            try await tx.execute("""
                DELETE FROM oauth_refresh_tokens WHERE token_hash = ANY (ARRAY(
                    SELECT token_hash FROM oauth_refresh_tokens WHERE expires_at < now() - make_interval(secs => \(graceSeconds))
                    LIMIT \(batchSize) FOR UPDATE SKIP LOCKED))
                """).affectedRows
        }
        swept.authorizations = await inBatches("revoked authorizations") { tx in
            let deleted = try await tx.query("""
                DELETE FROM oauth_authorizations WHERE id = ANY (ARRAY(
                    SELECT id FROM oauth_authorizations WHERE revoked_at < now() - make_interval(secs => \(retentionSeconds))
                    LIMIT \(batchSize) FOR UPDATE SKIP LOCKED))
                RETURNING account_id, id
                """)
            for row in deleted {
                try await ConfigChangeLog.record(tx, account: try row.decode("account_id"), kind: .oauthAuthorization, id: try row.decode("id"), .delete)
            }
            return deleted.count
        }
        swept.clients = await inBatches("unused registered clients") { tx in
            try await tx.execute("""
                DELETE FROM oauth_clients WHERE client_id = ANY (ARRAY(
                    SELECT c.client_id FROM oauth_clients c
                    WHERE c.created_at < now() - make_interval(secs => \(unusedSeconds))
                      AND NOT EXISTS (SELECT 1 FROM oauth_requests r WHERE r.client_id = c.client_id)
                      AND NOT EXISTS (SELECT 1 FROM oauth_authorizations a WHERE a.client_id = c.client_id)
                    LIMIT \(batchSize) FOR UPDATE SKIP LOCKED))
                """).affectedRows
        }
        if swept != Swept() {
            logger.debug("swept OAuth rows", metadata: [
                "oauth.requests": "\(swept.requests)", "oauth.refresh_tokens": "\(swept.refreshTokens)",
                "oauth.authorizations": "\(swept.authorizations)", "oauth.clients": "\(swept.clients)",
            ])
        }
        return swept
    }

    /// Runs `batch` (one transaction each) until it deletes fewer than `batchSize` rows; a failure
    /// is logged and ends this kind's sweep until the next round.
    private func inBatches(_ what: String, _ batch: @escaping @Sendable (DatabaseSession) async throws -> Int) async -> Int {
        var deleted = 0
        while !Task.isCancelled {
            do {
                let count = try await database.transaction { tx in try await batch(tx) }
                deleted += count
                if count < batchSize { break }
            } catch {
                logger.error("OAuth row sweep failed", metadata: ["oauth.rows": "\(what)", "error": "\(String(reflecting: error))"])
                break
            }
        }
        return deleted
    }
}
