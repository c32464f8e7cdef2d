import Foundation
import Hummingbird
import Shared

/// `/v1/api-keys`. A key carries its member's role, so any member may make and revoke keys for
/// themself without gaining anything; revoking someone else's key needs the admin role.
struct APIKeysController {
    let tenants: TenantDatabase
    var lifetime = APIKeyLifetime(maximum: nil)

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/api-keys", use: list)
        group.post("/api-keys", use: create)
        group.delete("/api-keys/:id", use: revoke)
    }

    /// `?member_id=` narrows the list to one member's keys.
    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let page = try PageRequest(query: request)
        var memberID: UUID?
        if let text = request.uri.queryParameters["member_id"] {
            guard let id = UUID(uuidString: String(text)) else { throw ProblemError.badRequest("member_id must be a UUID.") }
            memberID = id
        }
        return try await tenants.transaction(account: context.accountID) { [memberID] tx in
            JSONResponse(try await APIKeyStore(tx: tx).list(memberID: memberID, page: page))
        }
    }

    /// 201 with the key and its `token`, shown this once.
    @Sendable func create(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        let (name, expiresAt) = try await request.readJSONBody(context: context) { body -> (String, Date?)? in
            let name = body.optional("name", as: String.self, rule: FieldRules.name)
            let expiresAt = body.optional("expires_at", as: Date.self, rule: lifetime.rule)
            return (name ?? "", expiresAt)
        }
        let expiry = lifetime.expiry(requested: expiresAt)
        return try await tenants.transaction(account: context.accountID) { tx in
            let issued = try await APIKeyStore(tx: tx).issue(for: context.member.memberID, name: name, expiresAt: expiry)
            try await AdminAuditStore(tx: tx).record(.create, .apiKey, id: issued.key.id, by: context.actor, after: issued.key)
            guard case .object(var body) = issued.key.json else { preconditionFailure("an API key renders as an object") }
            body["token"] = .string(issued.token.text)
            return JSONResponse(status: .created, .object(body))
        }
    }

    /// 204 also when the key was already revoked: the caller's intent holds either way.
    @Sendable func revoke(request: Request, context: MemberRequestContext) async throws -> Response {
        let id = try context.id(of: "API key")
        return try await tenants.transaction(account: context.accountID) { tx in
            let keys = APIKeyStore(tx: tx)
            let before = try await keys.find(id)
            if before.memberID != context.member.memberID {
                try context.require(.administer)
            }
            if let after = try await keys.revoke(id) {
                try await AdminAuditStore(tx: tx).record(.revoke, .apiKey, id: id, by: context.actor, before: before, after: after)
            }
            return .noContent
        }
    }
}
