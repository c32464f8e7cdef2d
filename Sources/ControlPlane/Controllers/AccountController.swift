import Foundation
import Hummingbird
import Shared

/// `/v1/account`: the caller's account settings, including `approval_webhook_url` (SPEC 5.6).
struct AccountController {
    let tenants: TenantDatabase

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/account", use: show)
        group.patch("/account", use: update)
    }

    @Sendable func show(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await AccountStore(tx: tx).current())
        }
    }

    /// `{"name"?, "approval_webhook_url"?}`; a null webhook URL turns the webhook off.
    @Sendable func update(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let changes = try await request.readJSONBody(context: context) { body -> AccountStore.Changes? in
            AccountStore.Changes(
                name: body.optional("name", as: String.self, rule: FieldRules.name),
                approvalWebhookURL: body.patch("approval_webhook_url", as: String.self, nullable: true, rule: FieldRules.webhookURL)
            )
        }
        return try await tenants.transaction(account: context.accountID) { tx in
            let accounts = AccountStore(tx: tx)
            let before = try await accounts.current()
            let after = try await accounts.update(changes)
            try await AdminAuditStore(tx: tx).record(.update, .account, id: after.id, by: context.actor, before: before, after: after)
            return JSONResponse(after)
        }
    }
}
