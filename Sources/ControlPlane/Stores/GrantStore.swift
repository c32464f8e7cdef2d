import Foundation
import JSON
import Shared

/// A grant (design.md §2): identity × server × policy. Holds no secret: the token is stored only as its
/// hash and shown once, by the answer that issued it (`IssuedGrant`).
struct Grant: Pageable {
    let id: UUID
    let identityID: UUID
    let serverID: UUID
    let policyID: UUID?
    let description: String?
    let tokenLast: String
    let expiresAt: Date?
    let revokedAt: Date?
    let rotatedAt: Date?
    let createdAt: Date
    let updatedAt: Date
    let gatewayURL: String

    static let columns = """
        id, identity_id, server_id, policy_id, description, token_last, expires_at, revoked_at, rotated_at, created_at, updated_at
        """

    init(row: Row, urls: GatewayURLs) throws {
        id = try row.decode("id")
        identityID = try row.decode("identity_id")
        serverID = try row.decode("server_id")
        policyID = try row.decode("policy_id")
        description = try row.decode("description")
        tokenLast = try row.decode("token_last")
        expiresAt = try row.decode("expires_at")
        revokedAt = try row.decode("revoked_at")
        rotatedAt = try row.decode("rotated_at")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        gatewayURL = urls.gatewayURL(server: serverID)
    }

    var status: String {
        if revokedAt != nil { return "revoked" }
        if let expiresAt, expiresAt <= Date() { return "expired" }
        return "active"
    }

    var pageCursor: PageCursor { PageCursor(time: createdAt, id: id) }

    var json: JSONValue {
        [
            "id": .uuid(id), "identity_id": .uuid(identityID), "server_id": .uuid(serverID), "policy_id": .uuid(policyID),
            "description": .string(description), "status": .string(status),
            // Enough to tell tokens apart in a list; the last characters are checksum, not secret.
            "token_hint": .string(TokenKind.grant.prefix + "…" + tokenLast),
            "gateway_url": .string(gatewayURL),
            "expires_at": .timestamp(expiresAt), "revoked_at": .timestamp(revokedAt), "rotated_at": .timestamp(rotatedAt),
            "created_at": .timestamp(createdAt), "updated_at": .timestamp(updatedAt),
        ]
    }
}

/// The `grants` table of one account. Every write is a configuration change workers must see.
struct GrantStore {
    let tx: TenantTransaction
    let urls: GatewayURLs

    struct Changes {
        var policyID: PatchValue<UUID> = .unchanged
        var expiresAt: PatchValue<Date> = .unchanged
        var description: PatchValue<String> = .unchanged
    }

    func create(
        identityID: UUID, serverID: UUID, policyID: UUID?, expiresAt: Date?, description: String?, by member: UUID
    ) async throws -> (Grant, SecretToken) {
        let token = SecretToken.generate(.grant)
        let rows = try await tx.query("""
            INSERT INTO grants (account_id, identity_id, server_id, policy_id, description, token_hash, token_last, expires_at, created_by)
            VALUES (\(tx.account), \(identityID), \(serverID), \(policyID), \(description), \(token.hash), \(token.lastCharacters),
                    \(expiresAt), \(member))
            RETURNING \(unsafeSQL: Grant.columns)
            """)
        let grant = try Grant(row: rows[0], urls: urls)
        try await tx.recordChange(.grant, id: grant.id, .upsert)
        return (grant, token)
    }

    func find(_ id: UUID) async throws -> Grant {
        let rows = try await tx.query("SELECT \(unsafeSQL: Grant.columns) FROM grants WHERE account_id = \(tx.account) AND id = \(id)")
        guard let row = rows.first else { throw ProblemError.notFound("Grant") }
        return try Grant(row: row, urls: urls)
    }

    /// Oldest first; `identity` and `server` narrow the list.
    func list(identity: UUID?, server: UUID?, page: PageRequest) async throws -> Page<Grant> {
        let keyset = Keyset(time: "created_at", id: "id", .oldestFirst)
        let rows = try await tx.query("""
            SELECT \(unsafeSQL: Grant.columns) FROM grants
            WHERE account_id = \(tx.account)
              AND (\(identity)::uuid IS NULL OR identity_id = \(identity))
              AND (\(server)::uuid IS NULL OR server_id = \(server))
              AND \(keyset.after(page.after))
            ORDER BY \(keyset.ordering)
            LIMIT \(page.fetchLimit)
            """)
        return Page(rows: try rows.map { try Grant(row: $0, urls: urls) }, request: page)
    }

    func update(_ id: UUID, _ changes: Changes) async throws -> Grant {
        let rows = try await tx.query("""
            UPDATE grants SET
                policy_id = CASE WHEN \(changes.policyID.isSet) THEN \(changes.policyID.newValue) ELSE policy_id END,
                expires_at = CASE WHEN \(changes.expiresAt.isSet) THEN \(changes.expiresAt.newValue) ELSE expires_at END,
                description = CASE WHEN \(changes.description.isSet) THEN \(changes.description.newValue) ELSE description END,
                updated_at = now()
            WHERE account_id = \(tx.account) AND id = \(id)
            RETURNING \(unsafeSQL: Grant.columns)
            """)
        guard let row = rows.first else { throw ProblemError.notFound("Grant") }
        try await tx.recordChange(.grant, id: id, .upsert)
        return try Grant(row: row, urls: urls)
    }

    /// A new token replaces the old one at once: the old hash is gone from the row and, from the
    /// next snapshot on, from every worker. A revoked grant stays revoked.
    func rotate(_ id: UUID) async throws -> (Grant, SecretToken) {
        let current = try await find(id)
        guard current.revokedAt == nil else { throw ProblemError.conflict("A revoked grant cannot be rotated; create a new grant.") }
        let token = SecretToken.generate(.grant)
        let rows = try await tx.query("""
            UPDATE grants SET token_hash = \(token.hash), token_last = \(token.lastCharacters), rotated_at = now(), updated_at = now()
            WHERE account_id = \(tx.account) AND id = \(id) AND revoked_at IS NULL
            RETURNING \(unsafeSQL: Grant.columns)
            """)
        guard let row = rows.first else { throw ProblemError.conflict("The grant was revoked meanwhile.") }
        try await tx.recordChange(.grant, id: id, .upsert)
        return (try Grant(row: row, urls: urls), token)
    }

    /// Keeps the row (audit events point at it); revoking twice changes nothing.
    func revoke(_ id: UUID) async throws -> Grant {
        let rows = try await tx.query("""
            UPDATE grants SET revoked_at = now(), updated_at = now()
            WHERE account_id = \(tx.account) AND id = \(id) AND revoked_at IS NULL
            RETURNING \(unsafeSQL: Grant.columns)
            """)
        guard let row = rows.first else { return try await find(id) }
        try await tx.recordChange(.grant, id: id, .upsert)
        return try Grant(row: row, urls: urls)
    }

    /// For the client configuration's entry name.
    func serverName(_ server: UUID) async throws -> String {
        try await tx.query("SELECT name FROM servers WHERE account_id = \(tx.account) AND id = \(server)").first?.decode("name") ?? "server"
    }
}

/// The answer to creating or rotating a grant: the only time the token, the secret URL and the
/// client configuration (which embed the token) are shown.
struct IssuedGrant: JSONRepresentable {
    let grant: Grant
    let token: SecretToken
    let serverName: String
    let urls: GatewayURLs

    var json: JSONValue {
        guard case .object(var object) = grant.json else { return grant.json }
        object["token"] = .string(token.text)
        object["secret_url"] = .string(urls.secretURL(token: token))
        object["client_config"] = GrantClientConfig.json(serverName: serverName, gatewayURL: grant.gatewayURL, token: token)
        return .object(object)
    }
}
