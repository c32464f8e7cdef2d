import Foundation
import Hummingbird
import JSON
import Shared

/// `/v1/account`: the caller's account settings, including `approval_webhook_url` (design.md §5.6).
struct AccountController {
    let tenants: TenantDatabase
    /// Derives the secret the account's approval webhook is signed with; nil when the control
    /// plane has no secret keys.
    var webhookSigning: ApprovalWebhookSigning?
    /// The SSRF guard a webhook URL passes when it is set, as on every delivery by a worker.
    var addressGuard: UpstreamAddressGuard

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/account", use: show)
        group.patch("/account", use: update)
    }

    @Sendable func show(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let account = try await tenants.transaction(account: context.accountID) { tx in
            try await AccountStore(tx: tx).current()
        }
        return JSONResponse(shown(account, to: context))
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
        // Checked when set, not only when first used (issue 10 item 9): an admin learns at once
        // that an internal address or a plain http URL will never be called.
        if let url = changes.approvalWebhookURL.newValue {
            try await addressGuard.check(
                url, enteredBy: context.accountID, tenants: tenants, at: "/approval_webhook_url", as: "approval webhook URL",
                acceptingUnresolvable: true)
        }
        let account = try await tenants.transaction(account: context.accountID) { tx in
            let accounts = AccountStore(tx: tx)
            let before = try await accounts.current()
            let after = try await accounts.update(changes)
            // `Account.json` has no secret, so the admin audit log never holds the webhook secret.
            try await AdminAuditStore(tx: tx).record(.update, .account, id: after.id, by: context.actor, before: before, after: after)
            return after
        }
        return JSONResponse(shown(account, to: context))
    }

    /// The account, plus `approval_webhook_secret` for admins only: viewers and policy managers
    /// read everything except secrets (design.md §2). The secret is derived, not stored, so it is the
    /// same one every worker signs with (`ApprovalWebhookSigning`).
    private func shown(_ account: Account, to context: MemberRequestContext) -> JSONValue {
        guard context.member.role.allows(.administer), case .object(let object) = account.json else { return account.json }
        let secret: JSONValue = webhookSigning.map { .string($0.secret(forAccount: account.id)) } ?? .null
        return .object(JSONObject(object.members.map { ($0.key, $0.value) } + [("approval_webhook_secret", secret)]))
    }
}
