import Hummingbird

/// Counts an authenticated member's requests against their account's admin API rate (issue 10
/// item 15): one tenant's script cannot take the control plane from the others.
struct AccountRequestRate: RouterMiddleware {
    typealias Context = APIRequestContext
    let limiter: ClientRateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try limiter.admit(context.member?.accountID.uuidString)
        return try await next(request, context)
    }
}
