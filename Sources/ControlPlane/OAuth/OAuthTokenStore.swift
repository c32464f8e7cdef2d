import Foundation
import Shared

/// The token endpoint's reads and writes (issue 14 item 2). The caller is an OAuth client, not a
/// member, so no account is known before the code or refresh token is found: like
/// `portcullis_find_api_key`, these run as the owner and reach a row only by the SHA-256 of a
/// secret the client presents.
struct OAuthTokenStore: Sendable {
    let database: Database

    /// What a code or refresh token stands for.
    struct Issuance: Sendable {
        let subject: AccessTokenSigner.Subject
        let refreshToken: SecretToken
    }

    /// How a presented code or refresh token fared; a reuse has already revoked the
    /// authorization when this comes back.
    enum Outcome: Sendable {
        case issued(Issuance)
        case refused(String)
    }

    struct CodeExchange: Sendable {
        let code: String
        let clientID: String
        let redirectURI: String
        let verifier: String
        let resource: String?
    }

    /// Consumes the code (single use, whatever the outcome) and checks every binding it carries.
    /// A code presented a second time revokes the authorization it issued (OAuth 2.1 §4.1.3).
    func exchange(_ exchange: CodeExchange) async throws -> Outcome {
        guard let code = SecretToken.parse(exchange.code, as: .oauthCode) else { return .refused("The code is not valid.") }
        return try await database.transaction { tx in
            guard let row = try await tx.query("""
                SELECT r.account_id, r.client_id, r.redirect_uri, r.code_challenge, r.resource, r.authorization_id,
                       r.code_used_at IS NOT NULL AS used, r.code_expires_at <= now() AS expired
                FROM oauth_requests r WHERE r.code_hash = \(code.hash) FOR UPDATE
                """).first else { return .refused("The code is not valid.") }
            let account: UUID = try row.decode("account_id")
            let authorization: UUID = try row.decode("authorization_id")
            if try row.decode("used", as: Bool.self) {
                try await OAuthAuthorizationStore.revoke(tx, account: account, id: authorization)
                return .refused("The code was already used; the authorization it issued is revoked.")
            }
            try await tx.execute("UPDATE oauth_requests SET code_used_at = now() WHERE code_hash = \(code.hash)")
            guard try !row.decode("expired", as: Bool.self) else { return .refused("The code has expired.") }
            guard try row.decode("client_id", as: String.self) == exchange.clientID else { return .refused("The code was issued to another client.") }
            guard try row.decode("redirect_uri", as: String.self) == exchange.redirectURI else {
                return .refused("redirect_uri differs from the authorization request's.")
            }
            guard PKCE.isValidVerifier(exchange.verifier), PKCE.challenge(of: exchange.verifier) == (try row.decode("code_challenge", as: String.self))
            else { return .refused("The code_verifier does not match the code_challenge.") }
            let resource: String = try row.decode("resource")
            if let presented = exchange.resource, presented != resource { return .refused("resource differs from the authorization request's.") }
            return try await issue(tx, account: account, authorization: authorization, scope: nil)
        }
    }

    /// Rotates the refresh token. A token presented a second time means it leaked (the client
    /// keeps only the newest): the whole authorization is revoked (OAuth 2.1 §4.3.1).
    func refresh(token text: String, clientID: String, scope: String?, resource: String?) async throws -> Outcome {
        guard let token = SecretToken.parse(text, as: .oauthRefresh) else { return .refused("The refresh token is not valid.") }
        return try await database.transaction { tx in
            guard let row = try await tx.query("""
                SELECT t.account_id, t.authorization_id, t.used_at IS NOT NULL AS used, t.expires_at <= now() AS expired,
                       a.client_id, a.resource, a.scope
                FROM oauth_refresh_tokens t JOIN oauth_authorizations a ON a.account_id = t.account_id AND a.id = t.authorization_id
                WHERE t.token_hash = \(token.hash) FOR UPDATE OF t
                """).first else { return .refused("The refresh token is not valid.") }
            let account: UUID = try row.decode("account_id")
            let authorization: UUID = try row.decode("authorization_id")
            guard try row.decode("client_id", as: String.self) == clientID else { return .refused("The refresh token was issued to another client.") }
            if try row.decode("used", as: Bool.self) {
                try await OAuthAuthorizationStore.revoke(tx, account: account, id: authorization)
                return .refused("The refresh token was already used; the authorization is revoked.")
            }
            guard try !row.decode("expired", as: Bool.self) else { return .refused("The refresh token has expired.") }
            if let resource, resource != (try row.decode("resource", as: String.self)) { return .refused("resource differs from the authorization's.") }
            let granted = Set((try row.decode("scope", as: String.self)).split(separator: " "))
            if let scope, !Set(scope.split(separator: " ")).isSubset(of: granted) { return .refused("scope is wider than the authorization's.") }
            try await tx.execute("UPDATE oauth_refresh_tokens SET used_at = now() WHERE token_hash = \(token.hash)")
            return try await issue(tx, account: account, authorization: authorization, scope: scope)
        }
    }

    /// RFC 7009 for a refresh token of `clientID`: the authorization ends. Anything else is ignored.
    func revoke(token text: String, clientID: String) async throws {
        guard let token = SecretToken.parse(text, as: .oauthRefresh) else { return }
        try await database.transaction { tx in
            guard let row = try await tx.query("""
                SELECT t.account_id, t.authorization_id FROM oauth_refresh_tokens t
                JOIN oauth_authorizations a ON a.account_id = t.account_id AND a.id = t.authorization_id
                WHERE t.token_hash = \(token.hash) AND a.client_id = \(clientID)
                """).first else { return }
            try await OAuthAuthorizationStore.revoke(tx, account: try row.decode("account_id"), id: try row.decode("authorization_id"))
        }
    }

    /// A new refresh token and the access token's subject, if the authorization and its grant still stand.
    private func issue(_ tx: DatabaseSession, account: UUID, authorization: UUID, scope: String?) async throws -> Outcome {
        guard let row = try await tx.query("""
            SELECT a.grant_id, a.client_id, a.resource, a.scope, g.identity_id
            FROM oauth_authorizations a JOIN grants g ON g.account_id = a.account_id AND g.id = a.grant_id
            WHERE a.account_id = \(account) AND a.id = \(authorization) AND a.revoked_at IS NULL
              AND g.revoked_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now())
            """).first else { return .refused("The authorization was revoked.") }
        let refresh = SecretToken.generate(.oauthRefresh)
        try await tx.execute("""
            INSERT INTO oauth_refresh_tokens (token_hash, account_id, authorization_id, expires_at)
            VALUES (\(refresh.hash), \(account), \(authorization),
                    now() + make_interval(secs => \(Double(OAuthSettings.refreshTokenLifetime.components.seconds))))
            """)
        let subject = AccessTokenSigner.Subject(
            authorizationID: authorization, accountID: account, grantID: try row.decode("grant_id"), identityID: try row.decode("identity_id"),
            clientID: try row.decode("client_id"), resource: try row.decode("resource"), scope: try scope ?? row.decode("scope"))
        return .issued(Issuance(subject: subject, refreshToken: refresh))
    }
}
