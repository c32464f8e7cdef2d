import Foundation
import Hummingbird
import Shared

/// `GET /v1/me` (who the key or session belongs to) and `POST /v1/logout` (revoke the key this
/// request was made with). The console needs both (issue 12): its session cookie is HttpOnly, so
/// the page cannot read who is signed in any other way, and logging out must end the key, not
/// only forget it in the browser.
struct SessionController {
    let tenants: TenantDatabase

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/me", use: me)
        group.post("/logout", use: logout)
    }

    @Sendable func me(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try await tenants.transaction(account: context.accountID) { tx in
            let member = try await MemberStore(tx: tx).find(context.member.memberID)
            let account = try await AccountStore(tx: tx).current()
            return JSONResponse(["member": member.json, "account": account.json])
        }
    }

    /// 204, and the session cookie cleared. Any key may log itself out, whatever the role.
    @Sendable func logout(request: Request, context: MemberRequestContext) async throws -> Response {
        try await tenants.transaction(account: context.accountID) { tx in
            let keys = APIKeyStore(tx: tx)
            let before = try await keys.find(context.member.apiKeyID)
            if let after = try await keys.revoke(context.member.apiKeyID) {
                try await AdminAuditStore(tx: tx).record(.revoke, .apiKey, id: after.id, by: context.actor, before: before, after: after)
            }
        }
        var response = Response.noContent
        response.setCookie(ConsoleSession.expiredCookie(for: request))
        return response
    }
}
