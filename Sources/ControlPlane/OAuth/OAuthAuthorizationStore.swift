import Foundation
import JSON
import Shared

/// A member's consent as the API shows it (`/v1/oauth/authorizations`).
struct OAuthAuthorization: Pageable {
    let id: UUID
    let grantID: UUID
    let clientID: String
    let clientName: String?
    let memberID: UUID?
    let resource: String
    let scope: String
    let createdAt: Date
    let revokedAt: Date?

    static let columns = "id, grant_id, client_id, client_name, member_id, resource, scope, created_at, revoked_at"

    init(row: Row) throws {
        id = try row.decode("id")
        grantID = try row.decode("grant_id")
        clientID = try row.decode("client_id")
        clientName = try row.decode("client_name")
        memberID = try row.decode("member_id")
        resource = try row.decode("resource")
        scope = try row.decode("scope")
        createdAt = try row.decode("created_at")
        revokedAt = try row.decode("revoked_at")
    }

    var pageCursor: PageCursor { PageCursor(time: createdAt, id: id) }

    var json: JSONValue {
        [
            "id": .uuid(id), "grant_id": .uuid(grantID), "client_id": .string(clientID), "client_name": .string(clientName),
            "member_id": .uuid(memberID), "resource": .string(resource), "scope": .string(scope),
            "status": .string(revokedAt == nil ? "active" : "revoked"),
            "created_at": .timestamp(createdAt), "revoked_at": .timestamp(revokedAt),
        ]
    }
}

/// A pending `/oauth/authorize` request as the consent page reads it.
struct PendingOAuthRequest: Sendable {
    let id: UUID
    let serverID: UUID
    let clientID: String
    let clientName: String?
    let redirectURI: String
    let resource: String
    let scope: String
    let state: String?

    static let columns = "id, server_id, client_id, client_name, redirect_uri, resource, scope, state"

    init(row: Row) throws {
        id = try row.decode("id")
        serverID = try row.decode("server_id")
        clientID = try row.decode("client_id")
        clientName = try row.decode("client_name")
        redirectURI = try row.decode("redirect_uri")
        resource = try row.decode("resource")
        scope = try row.decode("scope")
        state = try row.decode("state")
    }
}

/// One account's OAuth requests and authorizations (`oauth_requests`, `oauth_authorizations`),
/// through `TenantDatabase` like every other resource of the member API.
struct OAuthAuthorizationStore {
    let tx: TenantTransaction

    struct NewRequest {
        let serverID: UUID
        let client: OAuthClient
        let redirectURI: String
        let resource: String
        let scope: String
        let state: String?
        let codeChallenge: String
    }

    /// Also forgets this account's requests a day past their expiry (kept that long so a code
    /// presented late is still recognised as used).
    func createRequest(_ request: NewRequest) async throws -> UUID {
        try await tx.execute("DELETE FROM oauth_requests WHERE account_id = \(tx.account) AND expires_at < now() - interval '1 day'")
        return try await tx.query("""
            INSERT INTO oauth_requests (account_id, server_id, client_id, client_name, redirect_uri, resource, scope, state,
                                        code_challenge, expires_at)
            VALUES (\(tx.account), \(request.serverID), \(request.client.clientID), \(request.client.name), \(request.redirectURI),
                    \(request.resource), \(request.scope), \(request.state), \(request.codeChallenge),
                    now() + make_interval(secs => \(Double(OAuthSettings.requestLifetime.components.seconds))))
            RETURNING id
            """).first!.decode("id")
    }

    /// A request still waiting for a decision; 404 otherwise (unknown, another account's, expired
    /// or decided: none of them can be decided any more). `lock` holds it for the decision.
    func pendingRequest(_ id: UUID, lock: Bool = false) async throws -> PendingOAuthRequest {
        guard let row = try await tx.query("""
            SELECT \(unsafeSQL: PendingOAuthRequest.columns) FROM oauth_requests
            WHERE account_id = \(tx.account) AND id = \(id) AND decided_at IS NULL AND expires_at > now()
            \(unsafeSQL: lock ? "FOR UPDATE" : "")
            """).first else { throw ProblemError.notFound("Authorization request") }
        return try PendingOAuthRequest(row: row)
    }

    /// Marks the request decided; with a grant, also records the authorization and the code
    /// (single use, `OAuthSettings.codeLifetime`). Returns the authorization.
    func decide(_ request: PendingOAuthRequest, member: UUID, grant: UUID?) async throws -> OAuthAuthorization? {
        guard let grant else {
            try await tx.execute("UPDATE oauth_requests SET decided_at = now(), member_id = \(member) WHERE account_id = \(tx.account) AND id = \(request.id)")
            return nil
        }
        let row = try await tx.query("""
            INSERT INTO oauth_authorizations (account_id, grant_id, client_id, client_name, member_id, resource, scope)
            VALUES (\(tx.account), \(grant), \(request.clientID), \(request.clientName), \(member), \(request.resource), \(request.scope))
            RETURNING \(unsafeSQL: OAuthAuthorization.columns)
            """).first!
        let authorization = try OAuthAuthorization(row: row)
        try await tx.recordChange(.oauthAuthorization, id: authorization.id, .upsert)
        return authorization
    }

    /// Binds a fresh code to the decided request.
    func issueCode(for request: PendingOAuthRequest, member: UUID, authorization: UUID) async throws -> SecretToken {
        let code = SecretToken.generate(.oauthCode)
        try await tx.execute("""
            UPDATE oauth_requests SET decided_at = now(), member_id = \(member), authorization_id = \(authorization),
                code_hash = \(code.hash), code_expires_at = now() + make_interval(secs => \(Double(OAuthSettings.codeLifetime.components.seconds)))
            WHERE account_id = \(tx.account) AND id = \(request.id)
            """)
        return code
    }

    /// An unrevoked, unexpired grant of (identity, server, policy), so consenting twice does not
    /// pile up grants.
    func reusableGrant(identity: UUID, server: UUID, policy: UUID?) async throws -> UUID? {
        try await tx.query("""
            SELECT id FROM grants
            WHERE account_id = \(tx.account) AND identity_id = \(identity) AND server_id = \(server)
              AND policy_id IS NOT DISTINCT FROM \(policy) AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
            ORDER BY created_at LIMIT 1
            """).first?.decode("id")
    }

    func find(_ id: UUID) async throws -> OAuthAuthorization {
        guard let row = try await tx.query("""
            SELECT \(unsafeSQL: OAuthAuthorization.columns) FROM oauth_authorizations WHERE account_id = \(tx.account) AND id = \(id)
            """).first else { throw ProblemError.notFound("Authorization") }
        return try OAuthAuthorization(row: row)
    }

    /// Newest first.
    func list(page: PageRequest) async throws -> Page<OAuthAuthorization> {
        let keyset = Keyset(time: "created_at", id: "id", .newestFirst)
        let rows = try await tx.query("""
            SELECT \(unsafeSQL: OAuthAuthorization.columns) FROM oauth_authorizations
            WHERE account_id = \(tx.account)
              AND \(keyset.after(page.after))
            ORDER BY \(keyset.ordering)
            LIMIT \(page.fetchLimit)
            """)
        return Page(rows: try rows.map(OAuthAuthorization.init(row:)), request: page)
    }

    /// Revokes the authorization and publishes it, so workers refuse its tokens; its refresh
    /// tokens stop working at once. Revoking twice changes nothing.
    @discardableResult
    func revoke(_ id: UUID) async throws -> Bool {
        try await Self.revoke(tx.session, account: tx.account, id: id)
    }

    @discardableResult
    static func revoke(_ session: DatabaseSession, account: UUID, id: UUID) async throws -> Bool {
        guard try await !session.query("""
            UPDATE oauth_authorizations SET revoked_at = now() WHERE account_id = \(account) AND id = \(id) AND revoked_at IS NULL
            RETURNING id
            """).isEmpty else { return false }
        try await ConfigChangeLog.record(session, account: account, kind: .oauthAuthorization, id: id, .upsert)
        return true
    }
}
