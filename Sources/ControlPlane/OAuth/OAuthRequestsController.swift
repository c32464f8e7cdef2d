import Foundation
import Hummingbird
import JSON
import Shared

/// The member side of the code flow (issue 14 item 2): the consent page reads a pending request
/// (`GET /v1/oauth/requests/{id}`) and decides it (`POST .../decision`); members list and revoke
/// the consents given (`/v1/oauth/authorizations`). Cookie-authenticated writes carry the CSRF
/// header like every console write (`APIKeyAuthenticator`).
struct OAuthRequestsController {
    let tenants: TenantDatabase
    let settings: OAuthSettings
    let urls: GatewayURLs

    /// The consent page lists at most this many identities and policies to choose from.
    static let choiceLimit = 200

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/oauth/requests/:id", use: show)
        group.post("/oauth/requests/:id/decision", use: decide)
        group.get("/oauth/authorizations", use: list)
        group.delete("/oauth/authorizations/:id", use: revoke)
    }

    @Sendable func show(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let id = try context.id(of: "Authorization request")
        return try await tenants.transaction(account: context.accountID) { tx in
            let pending = try await OAuthAuthorizationStore(tx: tx).pendingRequest(id)
            let server = try await tx.query("SELECT name FROM servers WHERE account_id = \(tx.account) AND id = \(pending.serverID)").first
            let identities = try await tx.query("""
                SELECT id, label FROM identities WHERE account_id = \(tx.account) ORDER BY label LIMIT \(Self.choiceLimit)
                """).map { row -> JSONValue in ["id": .uuid(try row.decode("id", as: UUID.self)), "label": .string(try row.decode("label", as: String.self))] }
            let policies = try await tx.query("""
                SELECT id, name FROM policies WHERE account_id = \(tx.account) AND deleted_at IS NULL
                  AND (server_id IS NULL OR server_id = \(pending.serverID))
                ORDER BY name LIMIT \(Self.choiceLimit)
                """).map { row -> JSONValue in ["id": .uuid(try row.decode("id", as: UUID.self)), "name": .string(try row.decode("name", as: String.self))] }
            return JSONResponse([
                "id": .uuid(pending.id), "client_id": .string(pending.clientID), "client_name": .string(pending.clientName),
                "redirect_uri": .string(pending.redirectURI), "resource": .string(pending.resource), "scope": .string(pending.scope),
                "server": ["id": .uuid(pending.serverID), "name": .string(try server?.decode("name", as: String.self))],
                "identities": .array(identities), "policies": .array(policies),
            ])
        }
    }

    private enum Decision: String, JSONBodyValue, CaseIterable { case allow, deny }

    /// `{"decision", "identity_id" | "identity_label", "policy_id"}`. Allowing issues a grant, so
    /// it needs the role that issues grants; anyone may deny.
    @Sendable func decide(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let id = try context.id(of: "Authorization request")
        let (decision, identityID, identityLabel, policyID) = try await request.readJSONBody(context: context) {
            body -> (Decision, UUID?, String?, UUID?)? in
            let decision = body.required("decision", as: Decision.self)
            let identityID = body.optional("identity_id", as: UUID.self)
            let identityLabel = body.optional("identity_label", as: String.self, rule: FieldRules.name)
            let policyID = body.optional("policy_id", as: UUID.self)
            guard let decision else { return nil }
            return (decision, identityID, identityLabel, policyID)
        }
        if decision == .allow {
            try context.require(.administer)
            guard (identityID == nil) != (identityLabel == nil) else {
                throw ProblemError.invalidFields([.init(pointer: "/identity_id", message: "name the identity by identity_id or identity_label (one of them)")])
            }
        }
        return try await tenants.transaction(account: context.accountID) { tx in
            let store = OAuthAuthorizationStore(tx: tx)
            let pending = try await store.pendingRequest(id, lock: true)
            guard decision == .allow else {
                _ = try await store.decide(pending, member: context.member.memberID, grant: nil)
                return JSONResponse(["redirect_to": .string(OAuthRedirect.url(pending.redirectURI, [
                    ("error", "access_denied"), ("error_description", "The member denied the request."), ("state", pending.state),
                    ("iss", settings.issuer),
                ]))])
            }
            let identity = try await self.identity(id: identityID, label: identityLabel, tx: tx, actor: context.actor)
            try await ReferencedObjects(tx: tx).require([.policy(policyID)])
            let grant = try await self.grant(identity: identity, server: pending.serverID, policy: policyID, client: pending, tx: tx, context: context)
            let authorization = try await store.decide(pending, member: context.member.memberID, grant: grant)!
            try await AdminAuditStore(tx: tx).record(.create, .oauthAuthorization, id: authorization.id, by: context.actor, after: authorization)
            let code = try await store.issueCode(for: pending, member: context.member.memberID, authorization: authorization.id)
            return JSONResponse(["redirect_to": .string(OAuthRedirect.url(pending.redirectURI, [
                ("code", code.text), ("state", pending.state), ("iss", settings.issuer),
            ]))])
        }
    }

    /// An existing identity by id, or by label (made when no identity has it yet).
    private func identity(id: UUID?, label: String?, tx: TenantTransaction, actor: AdminActor) async throws -> UUID {
        if let id {
            try await ReferencedObjects(tx: tx).require([.identity(id)])
            return id
        }
        let label = label ?? ""
        if let existing: UUID = try await tx.query("SELECT id FROM identities WHERE account_id = \(tx.account) AND label = \(label)").first?.decode("id") {
            return existing
        }
        let created = try await IdentityStore(tx: tx).create(label: label, description: "Created by an OAuth consent.", metadata: JSONObject())
        try await AdminAuditStore(tx: tx).record(.create, .identity, id: created.id, by: actor, after: created)
        return created.id
    }

    /// The unrevoked grant of (identity, server, policy), or a new one. A new grant's token is
    /// never shown: the OAuth client is the only way it is used.
    private func grant(
        identity: UUID, server: UUID, policy: UUID?, client: PendingOAuthRequest, tx: TenantTransaction, context: MemberRequestContext
    ) async throws -> UUID {
        let store = OAuthAuthorizationStore(tx: tx)
        if let existing = try await store.reusableGrant(identity: identity, server: server, policy: policy) { return existing }
        let (grant, _) = try await GrantStore(tx: tx, urls: urls).create(
            identityID: identity, serverID: server, policyID: policy, expiresAt: nil,
            description: "OAuth client \(client.clientName ?? client.clientID)".prefixed(500), by: context.member.memberID)
        try await AdminAuditStore(tx: tx).record(.create, .grant, id: grant.id, by: context.actor, after: grant)
        return grant.id
    }

    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let page = try PageRequest(query: request)
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await OAuthAuthorizationStore(tx: tx).list(page: page))
        }
    }

    /// An admin revokes any consent; another member only one they gave.
    @Sendable func revoke(request: Request, context: MemberRequestContext) async throws -> Response {
        try context.require(.read)
        let id = try context.id(of: "Authorization")
        return try await tenants.transaction(account: context.accountID) { tx in
            let store = OAuthAuthorizationStore(tx: tx)
            let before = try await store.find(id)
            if before.memberID != context.member.memberID { try context.require(.administer) }
            if try await store.revoke(id) {
                try await AdminAuditStore(tx: tx).record(.revoke, .oauthAuthorization, id: id, by: context.actor, before: before, after: try await store.find(id))
            }
            return .noContent
        }
    }
}

private extension String {
    func prefixed(_ count: Int) -> String { String(prefix(count)) }
}
