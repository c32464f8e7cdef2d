import Hummingbird

/// `GET /v1/admin-audit`: the account's admin audit log, newest first, admins only.
struct AdminAuditController {
    let tenants: TenantDatabase

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/admin-audit", use: list)
    }

    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let page = try PageRequest(query: request)
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await AdminAuditStore(tx: tx).list(page: page))
        }
    }
}
