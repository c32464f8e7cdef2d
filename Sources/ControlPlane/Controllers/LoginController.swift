import Foundation
import Hummingbird
import JSON
import Shared

/// `POST /v1/login`: email and password for an expiring API key, for the console (design.md §6).
/// With `"session": true` the key goes into the console's session cookie instead of the body
/// (`ConsoleSession`, issue 12), so the browser's scripts never hold it.
struct LoginController {
    let tenants: TenantDatabase
    let configuration: APIConfiguration
    let throttle: AuthenticationThrottle
    let passwordHashing: PasswordHashingSlots

    /// Members of one email tried without `account`; beyond it, the caller must name the account,
    /// so one login never costs more than this many password hashes.
    static let maxCandidates = 5

    func addRoutes(to router: Router<APIRequestContext>) {
        router.post("/v1/login", use: login)
    }

    @Sendable func login(request: Request, context: APIRequestContext) async throws -> Response {
        try throttle.admit(request, context: context)
        let (email, password, accountSlug, session) = try await request.readJSONBody(context: context) { body -> (String, String, String?, Bool)? in
            let email = body.required("email", as: String.self)
            let password = body.required("password", as: String.self)
            let account = body.optional("account", as: String.self)
            let session = body.optional("session", as: Bool.self)
            guard let email, let password else { return nil }
            return (email, password, account, session ?? false)
        }
        // Login CSRF: a cross-site form must not sign the victim's browser into another account.
        if session { try ConsoleSession.checkCSRF(request) }
        try throttle.admit(email: email)
        // Emails are unique per account (issue 10 item 23), so one email may name members of a few
        // accounts: the password picks the member, or `account` (a slug) names the account.
        let candidates = try await tenants.transactionWithoutAccount { session in
            try await session.query("""
                SELECT member_id, account_id, password_hash
                FROM portcullis_find_members_for_login(\(email), \(accountSlug), \(Self.maxCandidates))
                """)
        }
        // An unknown email costs as much as a wrong password, and both get the same answer.
        var found: Row?
        if candidates.isEmpty {
            _ = try await passwordHashing.verify(password, against: nil)
        }
        for candidate in candidates where found == nil {
            if try await passwordHashing.verify(password, against: try candidate.decode("password_hash", as: String.self)) {
                found = candidate
            }
        }
        guard let found else {
            throw ProblemError.unauthorized("The email or password is wrong.")
        }
        let accountID: UUID = try found.decode("account_id")
        let memberID: UUID = try found.decode("member_id")
        let lifetime = min(configuration.loginKeyLifetime, configuration.apiKeyMaxLifetime ?? .seconds(Int64.max))
        let expiresAt = Date() + Double(lifetime.components.seconds)
        let (issued, body) = try await tenants.transaction(account: accountID) { tx in
            let member = try await MemberStore(tx: tx).find(memberID)
            let account = try await AccountStore(tx: tx).current()
            let issued = try await APIKeyStore(tx: tx).issue(for: memberID, name: "console login", expiresAt: expiresAt)
            let actor = AdminActor(accountID: accountID, memberID: memberID, apiKeyID: issued.key.id, requestID: context.requestID)
            try await AdminAuditStore(tx: tx).record(.login, .apiKey, id: issued.key.id, by: actor, after: issued.key)
            var body = JSONObject([("expires_at", .timestamp(expiresAt)), ("member", member.json), ("account", account.json)])
            if !session { body["api_key"] = .string(issued.token.text) }
            return (issued, body)
        }
        var response = try JSONResponse(.object(body)).response(from: request, context: context)
        if session {
            response.setCookie(ConsoleSession.cookie(token: issued.token.text, lifetime: lifetime, for: request))
        }
        return response
    }
}
