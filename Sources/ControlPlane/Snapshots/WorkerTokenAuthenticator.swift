import Crypto
import Foundation
import Hummingbird

/// Admits gateway workers to `/internal/v1` with one of the operator's worker tokens
/// (`--worker-tokens`). Tokens are compared as SHA-256 digests in constant time, so neither the
/// comparison's duration nor a log line reveals them.
struct WorkerTokenAuthenticator<Context: RequestContext>: RouterMiddleware {
    private let acceptedDigests: [SHA256Digest]

    init(tokens: [String]) {
        acceptedDigests = tokens.map { SHA256.hash(data: Data($0.utf8)) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw ProblemError.unauthorized("A worker token is required: Authorization: Bearer pcs_wk_...")
        }
        let presented = SHA256.hash(data: Data(header.dropFirst("Bearer ".count).utf8))
        // Check every accepted digest so the answer time does not depend on which one matched.
        let matches = acceptedDigests.reduce(false) { found, accepted in found || accepted == presented }
        guard matches else { throw ProblemError.unauthorized("The worker token is not accepted.") }
        return try await next(request, context)
    }
}
