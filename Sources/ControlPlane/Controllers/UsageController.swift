import Foundation
import Hummingbird
import Shared

/// `GET /v1/usage`: the counters of the current windows (design.md §5.5), for every role, paged like every list.
/// `?grant=` keeps the counters that grant fills: its own, and those of its identity and server.
struct UsageController {
    let tenants: TenantDatabase

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/usage", use: list)
    }

    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let page = try PageRequest(query: request)
        var grant: UUID?
        if let text = request.uri.queryParameters["grant"] {
            guard let id = UUID(uuidString: String(text)) else { throw ProblemError.badRequest("grant must be a UUID.") }
            grant = id
        }
        return try await tenants.transaction(account: context.accountID) { [grant] tx in
            JSONResponse(try await UsageStore(tx: tx).current(grant: grant, page: page))
        }
    }
}
