import Foundation
import Hummingbird
import Shared

/// Resolves `Authorization: Bearer pcs_ak_...` to a member, or answers 401 with
/// `WWW-Authenticate: Bearer`. A token with a bad checksum is refused without a database query.
/// Revoked and expired keys are filtered by `portcullis_find_api_key` itself.
struct APIKeyAuthenticator: RouterMiddleware {
    typealias Context = APIRequestContext
    let tenants: TenantDatabase

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw ProblemError.unauthorized()
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
              let token = SecretToken.parse(parts[1].trimmingCharacters(in: .whitespaces), as: .apiKey)
        else {
            throw ProblemError.unauthorized("The Authorization header does not hold a Portcullis API key (Bearer pcs_ak_...).")
        }
        let member = try await tenants.transactionWithoutAccount { session in
            try await session.query("SELECT api_key_id, account_id, member_id, role FROM portcullis_find_api_key(\(token.hash))").first
        }
        guard let member, let role = MemberRole(rawValue: try member.decode("role")) else {
            throw ProblemError.unauthorized("The API key is unknown, revoked or expired.")
        }
        var context = context
        context.member = AuthenticatedMember(
            accountID: try member.decode("account_id"),
            memberID: try member.decode("member_id"),
            apiKeyID: try member.decode("api_key_id"),
            role: role
        )
        return try await next(request, context)
    }
}
