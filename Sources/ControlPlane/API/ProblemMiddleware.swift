import Hummingbird
import Shared

/// Makes every error leave the admin API as problem+json (design.md §6): route-not-found, oversized
/// bodies and other `HTTPError`s keep their status; anything unexpected is a 500 whose detail is
/// logged here and never sent (database errors must not leak SQL to clients), except a per-account
/// bound refused by the database, which is a 409 naming the bound. The OAuth endpoints' errors
/// keep their RFC 6749 form (`OAuthError`).
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as ProblemError {
            throw problem
        } catch let oauth as OAuthError {
            throw oauth
        } catch let error as HTTPError {
            throw ProblemError(status: error.status, detail: error.body ?? error.status.reasonPhrase, headers: error.headers)
        } catch let error as any HTTPResponseError {
            throw ProblemError(status: error.status, detail: error.status.reasonPhrase)
        } catch {
            if let error = error as? DatabaseError, let problem = AccountLimitError.problem(for: error) {
                throw problem
            }
            context.logger.error(
                "request failed",
                metadata: ["error": "\(String(reflecting: error))", "http.route": "\(context.endpointPath ?? "")"]
            )
            throw ProblemError.internalError
        }
    }
}
