import Foundation
import Hummingbird
import Shared

/// `POST /v1/signup`: a new account with its first admin and an API key (design.md §6).
struct SignupController {
    let tenants: TenantDatabase
    let configuration: APIConfiguration
    let throttle: AuthenticationThrottle
    let passwordHashing: PasswordHashingSlots

    func addRoutes(to router: Router<APIRequestContext>) {
        router.post("/v1/signup", use: signup)
    }

    private struct Input {
        let accountName: String
        let email: String
        let password: String
    }

    @Sendable func signup(request: Request, context: APIRequestContext) async throws -> JSONResponse {
        guard configuration.signup == .open else {
            throw ProblemError.forbidden("Sign-up is closed on this installation. Ask an admin of your account to add you.")
        }
        try throttle.admit(request, context: context)
        let input = try await request.readJSONBody(context: context) { body -> Input? in
            let accountName = body.required("account_name", as: String.self, rule: FieldRules.name)
            let email = body.required("email", as: String.self, rule: FieldRules.email)
            let password = body.required("password", as: String.self, rule: FieldRules.password)
            guard let accountName, let email, let password else { return nil }
            return Input(accountName: accountName, email: email, password: password)
        }
        try throttle.admit(email: input.email)
        // Emails are unique per account (migration 0005), but a self-service account still needs an
        // email no other account uses; signup is the one place that says so, rate-limited.
        let registered = try await tenants.transactionWithoutAccount { session in
            try await session.query("SELECT portcullis_email_registered(\(input.email)) AS registered")[0].decode("registered", as: Bool.self)
        }
        guard !registered else { throw ProblemError.conflict("A member with this email already exists.") }
        let passwordHash = try await passwordHashing.hash(input.password)
        let baseSlug = Account.slug(from: input.accountName)
        // Slugs are unique installation-wide and RLS hides other accounts' slugs, so a taken slug
        // shows up only as a unique violation; the next attempt adds a random suffix.
        for attempt in 0..<4 {
            let slug = attempt == 0 ? baseSlug : "\(baseSlug)-\(Self.randomSuffix())"
            do {
                return try await createAccount(input, slug: slug, passwordHash: passwordHash, requestID: context.requestID)
            } catch let error as DatabaseError where error.sqlState == .uniqueViolation {
                continue
            }
        }
        throw ProblemError.conflict("Could not find a free slug for this account name; try another name.")
    }

    private func createAccount(_ input: Input, slug: String, passwordHash: String, requestID: String?) async throws -> JSONResponse {
        try await tenants.transaction(account: UUID()) { tx in
            let account = try await AccountStore(tx: tx).create(name: input.accountName, slug: slug)
            let member = try await MemberStore(tx: tx).create(email: input.email, passwordHash: passwordHash, role: .admin)
            let expiresAt = APIKeyLifetime(maximum: configuration.apiKeyMaxLifetime).expiry(requested: nil)
            let issued = try await APIKeyStore(tx: tx).issue(for: member.id, name: "signup", expiresAt: expiresAt)
            let actor = AdminActor(accountID: tx.account, memberID: member.id, apiKeyID: issued.key.id, requestID: requestID)
            try await AdminAuditStore(tx: tx).record(.signup, .account, id: account.id, by: actor, after: account)
            return JSONResponse(status: .created, [
                "account": ["id": .uuid(account.id), "name": .string(account.name), "slug": .string(account.slug)],
                "member": ["id": .uuid(member.id), "email": .string(member.email), "role": .string(member.role.rawValue)],
                "api_key": .string(issued.token.text),
            ])
        }
    }

    private static func randomSuffix() -> String {
        String((0..<6).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
    }
}
