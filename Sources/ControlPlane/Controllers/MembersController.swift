import Foundation
import Hummingbird
import JSON
import Shared

/// `/v1/members`: everyone reads; admins add members, change roles and passwords, remove members.
struct MembersController {
    let tenants: TenantDatabase
    let passwordHashing: PasswordHashingSlots

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/members", use: list)
        group.post("/members", use: create)
        group.patch("/members/:id", use: update)
        group.delete("/members/:id", use: delete)
    }

    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let page = try PageRequest(query: request)
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await MemberStore(tx: tx).list(page: page))
        }
    }

    @Sendable func create(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let (email, password, role) = try await request.readJSONBody(context: context) { body -> (String, String, MemberRole)? in
            let email = body.required("email", as: String.self, rule: FieldRules.email)
            let password = body.required("password", as: String.self, rule: FieldRules.password)
            let role = body.required("role", as: MemberRole.self)
            guard let email, let password, let role else { return nil }
            return (email, password, role)
        }
        let passwordHash = try await passwordHashing.hash(password)
        return try await tenants.transaction(account: context.accountID) { tx in
            let member = try await MemberStore(tx: tx).create(email: email, passwordHash: passwordHash, role: role)
            try await AdminAuditStore(tx: tx).record(.create, .member, id: member.id, by: context.actor, after: member)
            return JSONResponse(status: .created, member)
        }
    }

    @Sendable func update(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let id = try context.id(of: "Member")
        let (role, password) = try await request.readJSONBody(context: context) { body -> (MemberRole?, String?)? in
            (body.optional("role", as: MemberRole.self), body.optional("password", as: String.self, rule: FieldRules.password))
        }
        var passwordHash: String?
        if let password { passwordHash = try await passwordHashing.hash(password) }
        return try await tenants.transaction(account: context.accountID) { tx in
            let members = MemberStore(tx: tx)
            let before = try await members.find(id)
            if before.role == .admin, let role, role != .admin {
                try await members.ensureAnAdminRemains(without: id)
            }
            let after = try await members.update(id, role: role, passwordHash: passwordHash)
            if passwordHash != nil {
                // Issue 10 item 22: a password is changed because it may be known to someone else,
                // who may have made keys with it. Every key of the member goes, except the one
                // making this request (an admin changing their own password stays signed in).
                try await APIKeyStore(tx: tx).revokeAll(of: id, except: context.member.apiKeyID, by: context.actor)
            }
            // The password itself never enters the log; that it changed is still a fact worth keeping.
            try await AdminAuditStore(tx: tx).record(
                .update, .member, id: id, by: context.actor,
                before: before, after: passwordHash == nil ? after : PasswordChanged(member: after)
            )
            return JSONResponse(after)
        }
    }

    @Sendable func delete(request: Request, context: MemberRequestContext) async throws -> Response {
        try context.require(.administer)
        let id = try context.id(of: "Member")
        guard id != context.member.memberID else {
            throw ProblemError.conflict("You cannot remove yourself; another admin can.")
        }
        return try await tenants.transaction(account: context.accountID) { tx in
            let members = MemberStore(tx: tx)
            let before = try await members.find(id)
            if before.role == .admin {
                try await members.ensureAnAdminRemains(without: id)
            }
            try await members.delete(id)
            try await AdminAuditStore(tx: tx).record(.delete, .member, id: id, by: context.actor, before: before)
            return .noContent
        }
    }
}

/// A member's audit `after` when the password was set: the member plus `"password_changed": true`.
private struct PasswordChanged: JSONRepresentable {
    let member: Member

    var json: JSONValue {
        guard case .object(var object) = member.json else { return member.json }
        object["password_changed"] = true
        return .object(object)
    }
}

