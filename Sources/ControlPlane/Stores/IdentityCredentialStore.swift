import Foundation
import JSON
import Shared

/// An identity's own upstream credential for one server (issue 14 item 5) as the API shows it:
/// never the secret, only its kind and where it came from.
struct IdentityCredential: JSONRepresentable {
    let id: UUID
    let identityID: UUID
    let serverID: UUID
    let authType: String
    /// Where the credential came from: set through the API, or an access token an upstream OAuth
    /// connection obtained (with `expiresAt`).
    enum Source: String {
        case `static`, oauth
    }

    let source: String
    let expiresAt: Date?
    let createdAt: Date
    let updatedAt: Date

    static let columns = "id, identity_id, server_id, auth_type, source, expires_at, created_at, updated_at"

    init(row: Row) throws {
        id = try row.decode("id")
        identityID = try row.decode("identity_id")
        serverID = try row.decode("server_id")
        authType = try row.decode("auth_type")
        source = try row.decode("source")
        expiresAt = try row.decode("expires_at")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }

    var json: JSONValue {
        [
            "identity_id": .uuid(identityID), "server_id": .uuid(serverID), "auth": ["type": .string(authType)],
            "source": .string(source), "expires_at": .timestamp(expiresAt), "created_at": .timestamp(createdAt),
            "updated_at": .timestamp(updatedAt),
        ]
    }
}

/// The `identity_credentials` table of one account. Every write is recorded in the config change
/// log: workers carry the sealed credentials in their snapshots (`SnapshotIdentityCredential`).
struct IdentityCredentialStore {
    let tx: TenantTransaction

    /// Sets the identity's credential for the server, replacing any it had. `created` is false when
    /// one was replaced. The caller has checked that both exist in this account.
    func put(
        identity: UUID, server: UUID, type: String, sealed: SealedSecret, source: IdentityCredential.Source = .static, expiresAt: Date? = nil
    ) async throws -> (credential: IdentityCredential, created: Bool) {
        let rows = try await tx.query("""
            INSERT INTO identity_credentials (account_id, identity_id, server_id, auth_type, credentials_ciphertext,
                                              credentials_key_version, source, expires_at)
            VALUES (\(tx.account), \(identity), \(server), \(type), \(sealed.storedBytes), \(sealed.keyVersion), \(source.rawValue), \(expiresAt))
            ON CONFLICT (account_id, identity_id, server_id) DO UPDATE SET
                auth_type = excluded.auth_type, credentials_ciphertext = excluded.credentials_ciphertext,
                credentials_key_version = excluded.credentials_key_version, source = excluded.source,
                expires_at = excluded.expires_at, updated_at = now()
            RETURNING \(unsafeSQL: IdentityCredential.columns), xmax = 0 AS created
            """)
        let credential = try IdentityCredential(row: rows[0])
        try await tx.recordChange(.identityCredential, id: credential.id, .upsert)
        return (credential, try rows[0].decode("created"))
    }

    func find(identity: UUID, server: UUID) async throws -> IdentityCredential {
        guard let credential = try await existing(identity: identity, server: server) else { throw ProblemError.notFound("Credential") }
        return credential
    }

    /// The identity's credential for the server, or nil when it has none.
    func existing(identity: UUID, server: UUID) async throws -> IdentityCredential? {
        try await tx.query("""
            SELECT \(unsafeSQL: IdentityCredential.columns) FROM identity_credentials
            WHERE account_id = \(tx.account) AND identity_id = \(identity) AND server_id = \(server)
            """).first.map(IdentityCredential.init(row:))
    }

    /// The identity's credentials, one per server at most, so a short list: no pagination.
    func list(identity: UUID) async throws -> [IdentityCredential] {
        try await tx.query("""
            SELECT \(unsafeSQL: IdentityCredential.columns) FROM identity_credentials
            WHERE account_id = \(tx.account) AND identity_id = \(identity)
            ORDER BY created_at, id
            """).map(IdentityCredential.init(row:))
    }

    /// True when there was one.
    @discardableResult
    func delete(identity: UUID, server: UUID) async throws -> Bool {
        let rows = try await tx.query("""
            DELETE FROM identity_credentials
            WHERE account_id = \(tx.account) AND identity_id = \(identity) AND server_id = \(server)
            RETURNING id
            """)
        guard let row = rows.first else { return false }
        try await tx.recordChange(.identityCredential, id: try row.decode("id"), .delete)
        return true
    }

    /// The credentials an identity's deletion takes with it (read before it cascades).
    func ids(identity: UUID) async throws -> [UUID] {
        try await tx.query("SELECT id FROM identity_credentials WHERE account_id = \(tx.account) AND identity_id = \(identity)")
            .map { try $0.decode("id") }
    }

    /// The credentials a server's deletion takes with it (read before it cascades).
    func ids(server: UUID) async throws -> [UUID] {
        try await tx.query("SELECT id FROM identity_credentials WHERE account_id = \(tx.account) AND server_id = \(server)")
            .map { try $0.decode("id") }
    }
}
