import Foundation
import JSON
import Shared

/// An API key as the API lists it: enough to recognise it (`pcs_ak_…last`), never the token.
struct APIKey: Pageable {
    let id: UUID
    let memberID: UUID
    let name: String
    let tokenPrefix: String
    let tokenLast: String
    let createdAt: Date
    let lastUsedAt: Date?
    let expiresAt: Date?
    let revokedAt: Date?

    static let columns = "id, member_id, name, token_prefix, token_last, created_at, last_used_at, expires_at, revoked_at"

    init(row: Row) throws {
        id = try row.decode("id")
        memberID = try row.decode("member_id")
        name = try row.decode("name")
        tokenPrefix = try row.decode("token_prefix")
        tokenLast = try row.decode("token_last")
        createdAt = try row.decode("created_at")
        lastUsedAt = try row.decode("last_used_at")
        expiresAt = try row.decode("expires_at")
        revokedAt = try row.decode("revoked_at")
    }

    var pageCursor: PageCursor { PageCursor(time: createdAt, id: id) }

    var json: JSONValue {
        [
            "id": .uuid(id), "member_id": .uuid(memberID), "name": .string(name),
            "hint": .string(tokenPrefix + "…" + tokenLast),
            "created_at": .timestamp(createdAt), "last_used_at": .timestamp(lastUsedAt),
            "expires_at": .timestamp(expiresAt), "revoked_at": .timestamp(revokedAt),
        ]
    }
}

/// A key just made: the token is in this value once and is never stored or shown again.
struct IssuedAPIKey: Sendable {
    let key: APIKey
    let token: SecretToken
}

/// The `api_keys` table of one account.
struct APIKeyStore {
    let tx: TenantTransaction

    func issue(for memberID: UUID, name: String, expiresAt: Date?) async throws -> IssuedAPIKey {
        let token = SecretToken.generate(.apiKey)
        let rows = try await tx.query("""
            INSERT INTO api_keys (account_id, member_id, name, token_hash, token_prefix, token_last, expires_at)
            VALUES (\(tx.account), \(memberID), \(name), \(token.hash), \(TokenKind.apiKey.prefix), \(token.lastCharacters), \(expiresAt))
            RETURNING \(unsafeSQL: APIKey.columns)
            """)
        return IssuedAPIKey(key: try APIKey(row: rows[0]), token: token)
    }

    func find(_ id: UUID) async throws -> APIKey {
        let rows = try await tx.query("SELECT \(unsafeSQL: APIKey.columns) FROM api_keys WHERE account_id = \(tx.account) AND id = \(id)")
        guard let row = rows.first else { throw ProblemError.notFound("API key") }
        return try APIKey(row: row)
    }

    /// Keys of the account, or of one member when `memberID` is given; revoked keys included.
    func list(memberID: UUID?, page: PageRequest) async throws -> Page<APIKey> {
        let keyset = Keyset(time: "created_at", id: "id", .oldestFirst)
        let rows = try await tx.query("""
            SELECT \(unsafeSQL: APIKey.columns) FROM api_keys
            WHERE account_id = \(tx.account)
              AND (\(memberID)::uuid IS NULL OR member_id = \(memberID))
              AND \(keyset.after(page.after))
            ORDER BY \(keyset.ordering)
            LIMIT \(page.fetchLimit)
            """)
        return Page(rows: try rows.map(APIKey.init(row:)), request: page)
    }

    /// Revokes a live key and returns it as it is now; nil when it was already revoked.
    func revoke(_ id: UUID) async throws -> APIKey? {
        let rows = try await tx.query("""
            UPDATE api_keys SET revoked_at = now()
            WHERE account_id = \(tx.account) AND id = \(id) AND revoked_at IS NULL
            RETURNING \(unsafeSQL: APIKey.columns)
            """)
        return try rows.first.map(APIKey.init(row:))
    }

    /// Revokes every live key of `memberID` but `kept`, each with its admin-audit entry.
    func revokeAll(of memberID: UUID, except kept: UUID, by actor: AdminActor) async throws {
        let rows = try await tx.query("""
            UPDATE api_keys SET revoked_at = now()
            WHERE account_id = \(tx.account) AND member_id = \(memberID) AND id <> \(kept) AND revoked_at IS NULL
            RETURNING \(unsafeSQL: APIKey.columns)
            """)
        for key in try rows.map(APIKey.init(row:)) {
            try await AdminAuditStore(tx: tx).record(.revoke, .apiKey, id: key.id, by: actor, after: key)
        }
    }
}
