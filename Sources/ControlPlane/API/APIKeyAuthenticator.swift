import Foundation
import Hummingbird
import Shared

/// Resolves `Authorization: Bearer pcs_ak_...` to a member, or answers 401 with
/// `WWW-Authenticate: Bearer`. Without an Authorization header, the console's session cookie
/// holds the key (`ConsoleSession`), and then a state-changing request must carry the CSRF header.
/// A token with a bad checksum is refused without a database query.
/// Revoked and expired keys are filtered by `portcullis_find_api_key` itself.
/// Also stamps the key's `last_used_at`, at most once a minute.
struct APIKeyAuthenticator: RouterMiddleware {
    typealias Context = APIRequestContext
    let tenants: TenantDatabase

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let token: SecretToken
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].lowercased() == "bearer",
                  let parsed = SecretToken.parse(parts[1].trimmingCharacters(in: .whitespaces), as: .apiKey)
            else {
                throw ProblemError.unauthorized("The Authorization header does not hold a Portcullis API key (Bearer pcs_ak_...).")
            }
            token = parsed
        } else if let cookie = ConsoleSession.token(in: request) {
            guard let parsed = SecretToken.parse(cookie, as: .apiKey) else {
                throw ProblemError.unauthorized("The console session is not valid: log in again.")
            }
            try ConsoleSession.checkCSRF(request)
            token = parsed
        } else {
            throw ProblemError.unauthorized()
        }
        let member = try await tenants.transactionWithoutAccount { session -> AuthenticatedMember? in
            guard let row = try await session.query(
                "SELECT api_key_id, account_id, member_id, role FROM portcullis_find_api_key(\(token.hash))"
            ).first, let role = MemberRole(rawValue: try row.decode("role")) else { return nil }
            let member = AuthenticatedMember(
                accountID: try row.decode("account_id"), memberID: try row.decode("member_id"),
                apiKeyID: try row.decode("api_key_id"), role: role
            )
            // last_used_at is for operators spotting stale keys: minute precision is enough, and it
            // keeps reads from writing the row on every request.
            try await session.execute("SELECT set_config('portcullis.account_id', \(member.accountID.uuidString.lowercased()), true)")
            try await session.execute("""
                UPDATE api_keys SET last_used_at = now()
                WHERE account_id = \(member.accountID) AND id = \(member.apiKeyID)
                  AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
                """)
            return member
        }
        guard let member else {
            throw ProblemError.unauthorized("The API key is unknown, revoked or expired.")
        }
        var context = context
        context.member = member
        return try await next(request, context)
    }
}
