import Foundation
import Hummingbird
import JSON
import Shared

/// `/v1/identities`: everyone reads; admins create, change and delete.
struct IdentitiesController {
    let tenants: TenantDatabase

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/identities", use: list)
        group.post("/identities", use: create)
        group.get("/identities/:id", use: show)
        group.patch("/identities/:id", use: update)
        group.delete("/identities/:id", use: delete)
    }

    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let page = try PageRequest(query: request)
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await IdentityStore(tx: tx).list(page: page))
        }
    }

    @Sendable func create(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let (label, description, metadata) = try await request.readJSONBody(context: context) { body -> (String, String?, JSONObject)? in
            let label = body.required("label", as: String.self, rule: FieldRules.name)
            let description = body.optional("description", as: String.self)
            let metadata = body.optional("metadata", as: JSONObject.self)
            guard let label else { return nil }
            return (label, description, metadata ?? JSONObject())
        }
        return try await tenants.transaction(account: context.accountID) { tx in
            let identity = try await IdentityStore(tx: tx).create(label: label, description: description, metadata: metadata)
            try await AdminAuditStore(tx: tx).record(.create, .identity, id: identity.id, by: context.actor, after: identity)
            return JSONResponse(status: .created, identity)
        }
    }

    @Sendable func show(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let id = try context.id(of: "Identity")
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await IdentityStore(tx: tx).find(id))
        }
    }

    @Sendable func update(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let id = try context.id(of: "Identity")
        let fields = try await request.readJSONBody(context: context) { body -> IdentityStore.Fields? in
            IdentityStore.Fields(
                label: body.optional("label", as: String.self, rule: FieldRules.name),
                description: body.patch("description", as: String.self, nullable: true),
                metadata: body.optional("metadata", as: JSONObject.self)
            )
        }
        return try await tenants.transaction(account: context.accountID) { tx in
            let identities = IdentityStore(tx: tx)
            let before = try await identities.find(id)
            let after = try await identities.update(id, fields)
            try await AdminAuditStore(tx: tx).record(.update, .identity, id: id, by: context.actor, before: before, after: after)
            return JSONResponse(after)
        }
    }

    @Sendable func delete(request: Request, context: MemberRequestContext) async throws -> Response {
        try context.require(.administer)
        let id = try context.id(of: "Identity")
        return try await tenants.transaction(account: context.accountID) { tx in
            let identities = IdentityStore(tx: tx)
            let before = try await identities.find(id)
            try await identities.delete(id)
            try await AdminAuditStore(tx: tx).record(.delete, .identity, id: id, by: context.actor, before: before)
            return .noContent
        }
    }
}
