import Foundation
import JSON
import Shared

/// Who made a change through the API, as the admin audit log records it.
struct AdminActor: Sendable {
    let accountID: UUID
    let memberID: UUID
    let apiKeyID: UUID?
    let requestID: String?
}

/// The admin audit log (design.md §6: every state change made through the API, who, what, before,
/// after). Written in the same transaction as the change it describes, so the two commit or roll
/// back together. `before` and `after` are the objects as the API shows them, which never include
/// secrets (password hashes, token hashes, upstream credentials).
struct AdminAuditStore {
    enum Action: String, Sendable {
        case create, update, delete, revoke, signup, login, rotate, approve, deny
        /// A tool discovery asked for through the API (`POST /v1/servers/{id}/discover`).
        case discover
        /// A trusted issuer's keys fetched through the API (`POST /v1/trusted-issuers/{id}/refresh`).
        case refresh
        /// An upstream OAuth connect started (`POST /v1/identities/{id}/credentials/{serverId}/oauth`).
        case connect
    }

    /// The kinds of object the log names; later resources add theirs.
    enum ObjectType: String, Sendable {
        case account, member, identity, policy, grant, approval, server, tool
        case apiKey = "api_key"
        case identityCredential = "identity_credential"
        case oauthAuthorization = "oauth_authorization"
        case trustedIssuer = "trusted_issuer"
    }

    let tx: TenantTransaction

    func record(
        _ action: Action, _ type: ObjectType, id: UUID?, by actor: AdminActor,
        before: (any JSONRepresentable)? = nil, after: (any JSONRepresentable)? = nil
    ) async throws {
        // actor_label keeps the member's email as it was, since the member may be deleted later.
        try await tx.execute("""
            INSERT INTO admin_audit (account_id, actor_member_id, actor_api_key_id, actor_label, action,
                                     object_type, object_id, before, after, request_id)
            VALUES (\(tx.account), \(actor.memberID), \(actor.apiKeyID),
                    coalesce((SELECT email FROM members WHERE account_id = \(tx.account) AND id = \(actor.memberID)), ''),
                    \(action.rawValue), \(type.rawValue), \(id?.uuidString.lowercased()),
                    \(before?.json), \(after?.json),
                    \(actor.requestID))
            """)
    }

    /// Newest first.
    func list(page: PageRequest) async throws -> Page<AdminAuditEntry> {
        let keyset = Keyset(time: "time", id: "id", .newestFirst)
        let rows = try await tx.query("""
            SELECT id, actor_member_id, actor_api_key_id, actor_label, action, object_type, object_id,
                   before, after, request_id, time
            FROM admin_audit
            WHERE account_id = \(tx.account)
              AND \(keyset.after(page.after))
            ORDER BY \(keyset.ordering)
            LIMIT \(page.fetchLimit)
            """)
        return Page(rows: try rows.map(AdminAuditEntry.init(row:)), request: page)
    }
}

struct AdminAuditEntry: Pageable {
    let id: UUID
    let actorMemberID: UUID?
    let actorAPIKeyID: UUID?
    let actorLabel: String
    let action: String
    let objectType: String
    let objectID: String?
    let before: JSONValue?
    let after: JSONValue?
    let requestID: String?
    let time: Date

    init(row: Row) throws {
        id = try row.decode("id")
        actorMemberID = try row.decode("actor_member_id")
        actorAPIKeyID = try row.decode("actor_api_key_id")
        actorLabel = try row.decode("actor_label")
        action = try row.decode("action")
        objectType = try row.decode("object_type")
        objectID = try row.decode("object_id")
        before = try row.decode("before", as: JSONValue?.self)
        after = try row.decode("after", as: JSONValue?.self)
        requestID = try row.decode("request_id")
        time = try row.decode("time")
    }

    var pageCursor: PageCursor { PageCursor(time: time, id: id) }

    var json: JSONValue {
        [
            "id": .uuid(id),
            "time": .timestamp(time),
            "actor": ["member_id": .uuid(actorMemberID), "api_key_id": .uuid(actorAPIKeyID), "label": .string(actorLabel)],
            "action": .string(action),
            "object_type": .string(objectType),
            "object_id": .string(objectID),
            "before": before ?? .null,
            "after": after ?? .null,
            "request_id": .string(requestID),
        ]
    }
}
