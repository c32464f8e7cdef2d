import Foundation
import JSON
import Shared

/// The client Portcullis is at an upstream's authorization server (issue 14 item 5).
struct UpstreamOAuthClientCredentials: Sendable {
    let clientID: String
    let clientSecret: String?
}

/// Tokens from an upstream's token endpoint. The refresh token never leaves the control plane.
struct UpstreamTokens: Sendable {
    let accessToken: String
    let refreshToken: String?
    let expiresIn: Int?
}

/// Talks to an upstream's authorization server through the SSRF guard: RFC 7591 registration and
/// the token endpoint (authorization code with PKCE and RFC 8707 `resource`, refresh). Failures are
/// sentences without any secret: never a code, a token, or the server's free-text description.
struct UpstreamAuthorizationServerClient: Sendable {
    typealias Failure = GuardedDocumentFetch.Failure

    /// Why a token request failed; `invalidGrant` means the refresh token (or code) is dead for
    /// good, anything else may pass on a later try.
    enum TokenFailure: Error {
        case invalidGrant(String)
        case other(String)

        var description: String {
            switch self {
            case .invalidGrant(let text), .other(let text): text
            }
        }
    }

    let fetch: GuardedDocumentFetch

    /// Dynamic client registration as a public client (PKCE protects the code).
    func register(at endpoint: String, redirectURI: String) async throws(Failure) -> UpstreamOAuthClientCredentials {
        let answer = try await fetch.send(.json([
            "client_name": "Portcullis", "redirect_uris": [.string(redirectURI)], "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"], "token_endpoint_auth_method": "none",
        ]), to: endpoint, what: "authorization server's registration endpoint")
        guard answer.status == 201 || answer.status == 200, let body = answer.object else {
            throw Failure("The authorization server refused the registration (HTTP \(answer.status)\(Self.errorCode(answer.object).map { ", \($0)" } ?? "")).")
        }
        guard let clientID = body["client_id"]?.stringValue, Self.isStorable(clientID) else {
            throw Failure("The authorization server's registration answer has no usable client_id.")
        }
        let secret = body["client_secret"]?.stringValue
        if let secret, !Self.isStorable(secret) { throw Failure("The authorization server's registration answer has an unusable client_secret.") }
        return UpstreamOAuthClientCredentials(clientID: clientID, clientSecret: secret)
    }

    func exchange(
        code: String, verifier: String, redirectURI: String, resource: String, client: UpstreamOAuthClientCredentials, at endpoint: String
    ) async throws(TokenFailure) -> UpstreamTokens {
        try await tokens(at: endpoint, client: client, [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier), ("resource", resource),
        ])
    }

    func refresh(_ refreshToken: String, resource: String, client: UpstreamOAuthClientCredentials, at endpoint: String) async throws(TokenFailure) -> UpstreamTokens {
        try await tokens(at: endpoint, client: client, [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("resource", resource)])
    }

    /// Client authentication by `client_secret_post` when there is a secret (RFC 6749 §2.3.1).
    private func tokens(at endpoint: String, client: UpstreamOAuthClientCredentials, _ fields: [(String, String)]) async throws(TokenFailure) -> UpstreamTokens {
        var fields = fields + [("client_id", client.clientID)]
        if let secret = client.clientSecret { fields.append(("client_secret", secret)) }
        let answer: GuardedDocumentFetch.Answer
        do {
            answer = try await fetch.send(.form(fields), to: endpoint, what: "authorization server's token endpoint")
        } catch {
            throw .other(error.description)
        }
        let body = answer.object
        guard answer.status == 200 else {
            let code = Self.errorCode(body)
            let text = "The authorization server refused the token request (HTTP \(answer.status)\(code.map { ", \($0)" } ?? ""))."
            throw code == "invalid_grant" ? .invalidGrant(text) : .other(text)
        }
        guard let body else { throw .other("The authorization server's token answer is not a JSON object.") }
        // The token goes into an Authorization header on every call: a line break or control
        // character would be a header injection, so it is refused here, before it is stored.
        guard let access = body["access_token"]?.stringValue, Self.isStorable(access) else {
            throw .other("The authorization server's token answer has no usable access_token.")
        }
        if let type = body["token_type"]?.stringValue, type.lowercased() != "bearer" {
            throw .other("The authorization server issued a token of type other than Bearer.")
        }
        let refresh = body["refresh_token"]?.stringValue
        if let refresh, !Self.isStorable(refresh) { throw .other("The authorization server's token answer has an unusable refresh_token.") }
        var expiresIn: Int?
        if let value = body["expires_in"] {
            guard let seconds = value.numberValue?.doubleValue, seconds >= 1, seconds <= 400 * 86_400 else {
                throw .other("The authorization server's expires_in is not a number of seconds between 1 and 400 days.")
            }
            expiresIn = Int(seconds)
        }
        return UpstreamTokens(accessToken: access, refreshToken: refresh, expiresIn: expiresIn)
    }

    /// RFC 6749 §5.2 `error`, when it is a plain code (never `error_description`: free text from
    /// the peer that may echo what was sent).
    static func errorCode(_ body: JSONObject?) -> String? {
        plainCode(body?["error"]?.stringValue)
    }

    /// `code` when it is a short run of letters, digits and underscores (an RFC 6749 error code).
    static func plainCode(_ code: String?) -> String? {
        guard let code, !code.isEmpty, code.utf8.count <= 64,
              code.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "_" })
        else { return nil }
        return code
    }

    /// Printable ASCII without spaces (RFC 6750 b64token and RFC 6749 client ids are within it),
    /// at most 8 KiB.
    static func isStorable(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 8192 && text.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }
}
