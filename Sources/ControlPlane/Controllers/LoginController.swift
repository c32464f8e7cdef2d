import Foundation
import Hummingbird
import Shared

/// `POST /v1/login`: email and password for an expiring API key, for the console (SPEC 6).
struct LoginController {
    let tenants: TenantDatabase
    let configuration: APIConfiguration
    let rateLimiter: ClientRateLimiter

    func addRoutes(to router: Router<APIRequestContext>) {
        router.post("/v1/login", use: login)
    }

    @Sendable func login(request: Request, context: APIRequestContext) async throws -> JSONResponse {
        try rateLimiter.admit(context.clientAddress)
        let (email, password) = try await request.readJSONBody(context: context) { body -> (String, String)? in
            let email = body.required("email", as: String.self)
            let password = body.required("password", as: String.self)
            guard let email, let password else { return nil }
            return (email, password)
        }
        let found = try await tenants.transactionWithoutAccount { session in
            try await session.query("SELECT member_id, account_id, password_hash FROM portcullis_find_member_for_login(\(email))").first
        }
        // An unknown email costs as much as a wrong password, and both get the same answer.
        let matches = try await configuration.passwordHasher.verifyOffloaded(password, against: try found?.decode("password_hash", as: String.self))
        guard matches, let found else {
            throw ProblemError.unauthorized("The email or password is wrong.")
        }
        let accountID: UUID = try found.decode("account_id")
        let memberID: UUID = try found.decode("member_id")
        let expiresAt = Date() + Double(configuration.loginKeyLifetime.components.seconds)
        return try await tenants.transaction(account: accountID) { tx in
            let member = try await MemberStore(tx: tx).find(memberID)
            let account = try await AccountStore(tx: tx).current()
            let issued = try await APIKeyStore(tx: tx).issue(for: memberID, name: "console login", expiresAt: expiresAt)
            let actor = AdminActor(accountID: accountID, memberID: memberID, apiKeyID: issued.key.id, requestID: context.requestID)
            try await AdminAuditStore(tx: tx).record(.login, .apiKey, id: issued.key.id, by: actor, after: issued.key)
            return JSONResponse([
                "api_key": .string(issued.token.text),
                "expires_at": .timestamp(expiresAt),
                "member": member.json,
                "account": account.json,
            ])
        }
    }
}
