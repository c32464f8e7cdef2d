import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Keeps connected identities' upstream access tokens fresh (issue 14 item 5), off the hot path:
/// every `interval`, each connection whose access token ends within max(60 s, a fifth of its
/// lifetime) is refreshed at its authorization server and the new access token published to
/// workers. A rotated refresh token replaces the old one. `invalid_grant` (revoked, expired) marks
/// the connection failed and removes the access token, so calls get the clear "no upstream
/// credential" error at once instead of the upstream's 401. Each connection is refreshed under
/// `FOR UPDATE SKIP LOCKED`, so control-plane replicas share the work and never refresh one
/// token twice (a second use of a rotated refresh token would look like theft to the server).
struct UpstreamOAuthRefresher: Service {
    let database: Database
    let connect: UpstreamOAuthConnect
    let interval: Duration
    let logger: Logger

    /// Due: connected, refreshable, and within max(60 s, 20 % of the lifetime) of expiry.
    private static let due = """
        status = 'connected' AND refresh_token_ciphertext IS NOT NULL AND access_expires_at IS NOT NULL
        AND access_expires_at <= now() + greatest(interval '60 seconds', (access_expires_at - refreshed_at) / 5)
        """

    func run() async throws {
        await repeatUntilShutdown(every: interval, firstRound: .immediately) { await refreshDueConnections() }
    }

    func refreshDueConnections() async {
        let due: [(account: UUID, id: UUID)]
        do {
            // Across accounts by design, like rediscovery; each refresh then runs under its account's RLS.
            due = try await database.query("""
                SELECT account_id, id FROM upstream_oauth_connections WHERE \(unsafeSQL: Self.due) ORDER BY access_expires_at
                """).map { (try $0.decode("account_id"), try $0.decode("id")) }
        } catch {
            logger.error("cannot list upstream oauth connections to refresh", metadata: ["error": "\(String(reflecting: error))"])
            return
        }
        for connection in due {
            do {
                try await refresh(connection.id, account: connection.account)
            } catch {
                logger.error("upstream oauth refresh failed", metadata: ["connection.id": "\(connection.id)", "error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Refreshes one connection if it is still due and no other replica holds it.
    func refresh(_ id: UUID, account: UUID) async throws {
        guard let sealer = connect.sealer else { return }
        let fetch = try await connect.fetch(for: account)
        try await connect.tenants.transaction(account: account) { tx in
            guard let row = try await tx.query("""
                SELECT identity_id, server_id, issuer, token_endpoint, client_id, resource, refresh_token_ciphertext
                FROM upstream_oauth_connections
                WHERE account_id = \(tx.account) AND id = \(id) AND \(unsafeSQL: Self.due)
                FOR UPDATE SKIP LOCKED
                """).first else { return }
            let identity: UUID = try row.decode("identity_id"), server: UUID = try row.decode("server_id")
            let binding = UpstreamOAuthBinding.refreshToken(account: account, server: server, identity: identity)
            let refreshToken = String(decoding: try sealer.open(SealedSecret(storedBytes: try row.decode("refresh_token_ciphertext")), boundTo: binding), as: UTF8.self)
            let client = try await connect.storedClient(
                account: account, server: server, issuer: try row.decode("issuer"), clientID: try row.decode("client_id"), sealer: sealer)
            let resource: String = try row.decode("resource"), endpoint: String = try row.decode("token_endpoint")
            let tokens: UpstreamTokens
            do throws(UpstreamAuthorizationServerClient.TokenFailure) {
                tokens = try await UpstreamAuthorizationServerClient(fetch: fetch).refresh(refreshToken, resource: resource, client: client, at: endpoint)
            } catch .invalidGrant(let reason) {
                try await tx.execute("""
                    UPDATE upstream_oauth_connections SET status = 'failed', last_error = \("\(reason) Connect the identity again."),
                        refresh_token_ciphertext = NULL, refresh_token_key_version = NULL, updated_at = now()
                    WHERE account_id = \(tx.account) AND id = \(id)
                    """)
                try await IdentityCredentialStore(tx: tx).delete(identity: identity, server: server)
                logger.notice("upstream oauth connection failed", metadata: ["connection.id": "\(id)", "account.id": "\(account)", "reason": "\(reason)"])
                return
            } catch {
                // Anything else may pass next round; the access token stays until it expires.
                logger.notice("upstream oauth refresh deferred", metadata: ["connection.id": "\(id)", "account.id": "\(account)", "reason": "\(error.description)"])
                return
            }
            let expiresAt = tokens.expiresIn.map { Date().addingTimeInterval(TimeInterval($0)) }
            let rotated = try tokens.refreshToken.map { try sealer.seal(Array($0.utf8), boundTo: binding) }
            try await tx.execute("""
                UPDATE upstream_oauth_connections SET
                    refresh_token_ciphertext = COALESCE(\(rotated?.storedBytes), refresh_token_ciphertext),
                    refresh_token_key_version = COALESCE(\(rotated?.keyVersion), refresh_token_key_version),
                    access_expires_at = \(expiresAt), refreshed_at = now(), last_error = NULL, updated_at = now()
                WHERE account_id = \(tx.account) AND id = \(id)
                """)
            try await UpstreamOAuthConnect.publish(tokens.accessToken, expiresAt: expiresAt, identity: identity, server: server, tx: tx, sealer: sealer)
        }
    }
}
