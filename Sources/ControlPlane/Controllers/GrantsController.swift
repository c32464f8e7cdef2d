import Foundation
import Hummingbird
import Shared

/// `/v1/grants`: everyone reads; admins issue, rotate, revoke and change expiry; policy managers
/// may also attach a policy (design.md §2). The token is in the create and rotate answers only.
struct GrantsController {
    let tenants: TenantDatabase
    let urls: GatewayURLs

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/grants", use: list)
        group.post("/grants", use: create)
        group.get("/grants/:id", use: show)
        group.patch("/grants/:id", use: update)
        group.post("/grants/:id/rotate", use: rotate)
        group.delete("/grants/:id", use: revoke)
    }

    /// `?identity=&server=` narrow the list.
    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let page = try PageRequest(query: request)
        let parameters = request.uri.queryParameters
        func uuid(_ name: String) throws -> UUID? {
            guard let text = parameters.get(name) else { return nil }
            guard let id = UUID(uuidString: text) else { throw ProblemError.badRequest("\(name) must be a UUID.") }
            return id
        }
        let (identity, server) = (try uuid("identity"), try uuid("server"))
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await GrantStore(tx: tx, urls: urls).list(identity: identity, server: server, page: page))
        }
    }

    /// `{"identity_id", "server_id", "policy_id"?, "expires_at"?, "description"?}`.
    @Sendable func create(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let (identityID, serverID, policyID, expiresAt, description) = try await request.readJSONBody(context: context) {
            body -> (UUID, UUID, UUID?, Date?, String?)? in
            let identityID = body.required("identity_id", as: UUID.self)
            let serverID = body.required("server_id", as: UUID.self)
            let policyID = body.optional("policy_id", as: UUID.self)
            let expiresAt = body.optional("expires_at", as: Date.self, rule: FieldRules.future)
            let description = body.optional("description", as: String.self)
            guard let identityID, let serverID else { return nil }
            return (identityID, serverID, policyID, expiresAt, description)
        }
        return try await tenants.transaction(account: context.accountID) { tx in
            try await ReferencedObjects(tx: tx).require([.identity(identityID), .server(serverID), .policy(policyID)])
            let grants = GrantStore(tx: tx, urls: urls)
            let (grant, token) = try await grants.create(
                identityID: identityID, serverID: serverID, policyID: policyID, expiresAt: expiresAt,
                description: description, by: context.member.memberID)
            try await AdminAuditStore(tx: tx).record(.create, .grant, id: grant.id, by: context.actor, after: grant)
            let issued = IssuedGrant(grant: grant, token: token, serverName: try await grants.serverName(serverID), urls: urls)
            return JSONResponse(status: .created, issued)
        }
    }

    @Sendable func show(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let id = try context.id(of: "Grant")
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await GrantStore(tx: tx, urls: urls).find(id))
        }
    }

    /// `{"policy_id"?, "expires_at"?, "description"?}`; null clears. Attaching a policy is a policy
    /// manager's job too; expiry and description are an admin's.
    @Sendable func update(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.managePolicies)
        let id = try context.id(of: "Grant")
        let changes = try await request.readJSONBody(context: context) { body -> GrantStore.Changes? in
            GrantStore.Changes(
                policyID: body.patch("policy_id", as: UUID.self, nullable: true),
                expiresAt: body.patch("expires_at", as: Date.self, nullable: true, rule: FieldRules.future),
                description: body.patch("description", as: String.self, nullable: true))
        }
        if changes.expiresAt.isSet || changes.description.isSet { try context.require(.administer) }
        return try await tenants.transaction(account: context.accountID) { tx in
            let grants = GrantStore(tx: tx, urls: urls)
            let before = try await grants.find(id)
            try await ReferencedObjects(tx: tx).require([.policy(changes.policyID.newValue)])
            let after = try await grants.update(id, changes)
            try await AdminAuditStore(tx: tx).record(.update, .grant, id: id, by: context.actor, before: before, after: after)
            return JSONResponse(after)
        }
    }

    /// A new token, shown once; the old one stops working with the next snapshot.
    @Sendable func rotate(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let id = try context.id(of: "Grant")
        return try await tenants.transaction(account: context.accountID) { tx in
            let grants = GrantStore(tx: tx, urls: urls)
            let (grant, token) = try await grants.rotate(id)
            try await AdminAuditStore(tx: tx).record(.rotate, .grant, id: id, by: context.actor, after: grant)
            let issued = IssuedGrant(grant: grant, token: token, serverName: try await grants.serverName(grant.serverID), urls: urls)
            return JSONResponse(issued)
        }
    }

    /// Revocation keeps the row, so audit events still name the grant.
    @Sendable func revoke(request: Request, context: MemberRequestContext) async throws -> Response {
        try context.require(.administer)
        let id = try context.id(of: "Grant")
        return try await tenants.transaction(account: context.accountID) { tx in
            let grants = GrantStore(tx: tx, urls: urls)
            let before = try await grants.find(id)
            let after = try await grants.revoke(id)
            if before.revokedAt == nil {
                try await AdminAuditStore(tx: tx).record(.revoke, .grant, id: id, by: context.actor, before: before, after: after)
            }
            return .noContent
        }
    }
}
