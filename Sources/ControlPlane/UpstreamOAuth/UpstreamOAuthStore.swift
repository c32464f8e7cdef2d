import Foundation
import JSON
import Shared

/// Where the secrets of upstream OAuth connect are sealed (purpose `upstreamCredentials`): each is
/// bound to its account, server and role, the refresh token and PKCE verifier to their identity too.
enum UpstreamOAuthBinding {
    static func refreshToken(account: UUID, server: UUID, identity: UUID) -> SecretBinding {
        .upstreamCredential(account: account, server: server, field: "oauth_refresh|\(identity.uuidString.lowercased())")
    }

    static func verifier(account: UUID, server: UUID, identity: UUID) -> SecretBinding {
        .upstreamCredential(account: account, server: server, field: "oauth_verifier|\(identity.uuidString.lowercased())")
    }

    static func clientSecret(account: UUID, server: UUID, issuer: String) -> SecretBinding {
        .upstreamCredential(account: account, server: server, field: "oauth_client_secret|\(issuer)")
    }
}

/// An identity's OAuth connection to an upstream as the credential answers show it: never a secret.
struct UpstreamOAuthConnection: Sendable {
    let identityID: UUID
    let serverID: UUID
    let issuer: String
    let status: String
    let lastError: String?
    let accessExpiresAt: Date?
    let refreshedAt: Date?
    let createdAt: Date
    let updatedAt: Date

    static let columns = "identity_id, server_id, issuer, status, last_error, access_expires_at, refreshed_at, created_at, updated_at"

    init(row: Row) throws {
        identityID = try row.decode("identity_id")
        serverID = try row.decode("server_id")
        issuer = try row.decode("issuer")
        status = try row.decode("status")
        lastError = try row.decode("last_error")
        accessExpiresAt = try row.decode("access_expires_at")
        refreshedAt = try row.decode("refreshed_at")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }

    var json: JSONValue {
        [
            "status": .string(status), "error": .string(lastError), "issuer": .string(issuer),
            "refreshed_at": .timestamp(refreshedAt), "connected_at": .timestamp(createdAt),
        ]
    }
}

/// A started authorization as the callback takes it back (once).
struct PendingUpstreamAuthorization: Sendable {
    let account: UUID
    let identity: UUID
    let server: UUID
    let issuer: String
    let tokenEndpoint: String
    let clientID: String
    let resource: String
    let redirectURI: String
    let issRequired: Bool
    let sealedVerifier: SealedSecret
    let expired: Bool

    init(row: Row) throws {
        account = try row.decode("account_id")
        identity = try row.decode("identity_id")
        server = try row.decode("server_id")
        issuer = try row.decode("issuer")
        tokenEndpoint = try row.decode("token_endpoint")
        clientID = try row.decode("client_id")
        resource = try row.decode("resource")
        redirectURI = try row.decode("redirect_uri")
        issRequired = try row.decode("iss_required")
        sealedVerifier = try SealedSecret(storedBytes: try row.decode("code_verifier_ciphertext"))
        expired = try row.decode("expired")
    }
}

/// One account's upstream OAuth clients, connections and pending requests (migration 0014).
struct UpstreamOAuthStore {
    let tx: TenantTransaction

    /// The client registered (or supplied) for the server at `issuer`, sealed secret included.
    func client(server: UUID, issuer: String) async throws -> (clientID: String, sealedSecret: SealedSecret?)? {
        guard let row = try await tx.query("""
            SELECT client_id, client_secret_ciphertext FROM upstream_oauth_clients
            WHERE account_id = \(tx.account) AND server_id = \(server) AND issuer = \(issuer)
            """).first else { return nil }
        let secret: [UInt8]? = try row.decode("client_secret_ciphertext")
        return (try row.decode("client_id"), try secret.map(SealedSecret.init(storedBytes:)))
    }

    func saveClient(server: UUID, issuer: String, clientID: String, sealedSecret: SealedSecret?) async throws {
        try await tx.execute("""
            INSERT INTO upstream_oauth_clients (account_id, server_id, issuer, client_id, client_secret_ciphertext, client_secret_key_version)
            VALUES (\(tx.account), \(server), \(issuer), \(clientID), \(sealedSecret?.storedBytes), \(sealedSecret?.keyVersion))
            ON CONFLICT (account_id, server_id, issuer) DO UPDATE SET
                client_id = excluded.client_id, client_secret_ciphertext = excluded.client_secret_ciphertext,
                client_secret_key_version = excluded.client_secret_key_version
            """)
    }

    struct NewRequest {
        let stateHash: [UInt8]
        let identity: UUID
        let server: UUID
        let authorizationServer: UpstreamAuthorizationServer
        let clientID: String
        let redirectURI: String
        let sealedVerifier: SealedSecret
    }

    /// Also forgets this account's requests that expired unanswered.
    func createRequest(_ request: NewRequest) async throws {
        try await tx.execute("DELETE FROM upstream_oauth_requests WHERE account_id = \(tx.account) AND expires_at < now()")
        let server = request.authorizationServer
        try await tx.execute("""
            INSERT INTO upstream_oauth_requests (state_hash, account_id, identity_id, server_id, issuer, token_endpoint, client_id, resource,
                                                 redirect_uri, iss_required, code_verifier_ciphertext, code_verifier_key_version, expires_at)
            VALUES (\(request.stateHash), \(tx.account), \(request.identity), \(request.server), \(server.issuer), \(server.tokenEndpoint),
                    \(request.clientID), \(server.resource), \(request.redirectURI), \(server.sendsIss), \(request.sealedVerifier.storedBytes),
                    \(request.sealedVerifier.keyVersion), now() + make_interval(secs => \(Double(OAuthSettings.requestLifetime.components.seconds))))
            """)
    }

    /// Takes the request the state stands for out of the table, so a state works once whatever
    /// follows. Runs as the owner: the callback has no account until the state names one.
    static func takeRequest(stateHash: [UInt8], database: Database) async throws -> PendingUpstreamAuthorization? {
        try await database.transaction { tx in
            try await tx.query("""
                DELETE FROM upstream_oauth_requests WHERE state_hash = \(stateHash)
                RETURNING account_id, identity_id, server_id, issuer, token_endpoint, client_id, resource, redirect_uri, iss_required,
                          code_verifier_ciphertext, expires_at <= now() AS expired
                """).first.map(PendingUpstreamAuthorization.init(row:))
        }
    }

    /// The connection after a successful code exchange (or refresh): connected, with the refresh
    /// token when the server issued one (a refresh that returns none keeps the one it had).
    func recordConnected(
        _ request: PendingUpstreamAuthorization, sealedRefreshToken: SealedSecret?, accessExpiresAt: Date?
    ) async throws {
        try await tx.execute("""
            INSERT INTO upstream_oauth_connections (account_id, identity_id, server_id, issuer, token_endpoint, client_id, resource, status,
                                                    refresh_token_ciphertext, refresh_token_key_version, access_expires_at, refreshed_at)
            VALUES (\(tx.account), \(request.identity), \(request.server), \(request.issuer), \(request.tokenEndpoint), \(request.clientID),
                    \(request.resource), 'connected', \(sealedRefreshToken?.storedBytes), \(sealedRefreshToken?.keyVersion), \(accessExpiresAt), now())
            ON CONFLICT (account_id, identity_id, server_id) DO UPDATE SET
                issuer = excluded.issuer, token_endpoint = excluded.token_endpoint, client_id = excluded.client_id, resource = excluded.resource,
                status = 'connected', last_error = NULL, refresh_token_ciphertext = excluded.refresh_token_ciphertext,
                refresh_token_key_version = excluded.refresh_token_key_version, access_expires_at = excluded.access_expires_at,
                refreshed_at = now(), created_at = now(), updated_at = now()
            """)
    }

    /// A connect that failed: recorded so the credential answer says why, unless the identity is
    /// still connected from before (a failed reconnect does not take a working token away).
    func recordFailed(_ request: PendingUpstreamAuthorization, reason: String) async throws {
        try await tx.execute("""
            INSERT INTO upstream_oauth_connections (account_id, identity_id, server_id, issuer, token_endpoint, client_id, resource, status, last_error)
            VALUES (\(tx.account), \(request.identity), \(request.server), \(request.issuer), \(request.tokenEndpoint), \(request.clientID),
                    \(request.resource), 'failed', \(reason))
            ON CONFLICT (account_id, identity_id, server_id) DO UPDATE SET
                status = 'failed', last_error = excluded.last_error, updated_at = now()
            WHERE upstream_oauth_connections.status <> 'connected'
            """)
    }

    func connection(identity: UUID, server: UUID) async throws -> UpstreamOAuthConnection? {
        try await tx.query("""
            SELECT \(unsafeSQL: UpstreamOAuthConnection.columns) FROM upstream_oauth_connections
            WHERE account_id = \(tx.account) AND identity_id = \(identity) AND server_id = \(server)
            """).first.map(UpstreamOAuthConnection.init(row:))
    }

    func connections(identity: UUID) async throws -> [UpstreamOAuthConnection] {
        try await tx.query("""
            SELECT \(unsafeSQL: UpstreamOAuthConnection.columns) FROM upstream_oauth_connections
            WHERE account_id = \(tx.account) AND identity_id = \(identity) ORDER BY created_at, id
            """).map(UpstreamOAuthConnection.init(row:))
    }

    /// True when there was one.
    @discardableResult
    func deleteConnection(identity: UUID, server: UUID) async throws -> Bool {
        try await !tx.query("""
            DELETE FROM upstream_oauth_connections WHERE account_id = \(tx.account) AND identity_id = \(identity) AND server_id = \(server)
            RETURNING id
            """).isEmpty
    }
}
