import Foundation
import Hummingbird
import JSON
import Shared

/// `POST /oauth/token` (authorization code with PKCE, refresh with rotation) and
/// `POST /oauth/revoke` (RFC 7009), issue 14 item 2.
struct OAuthTokenController {
    let tokens: OAuthTokenStore
    let signer: AccessTokenSigner
    let authentication: OAuthClientAuthentication
    let throttle: AuthenticationThrottle

    func addRoutes(to router: Router<APIRequestContext>) {
        router.post("/oauth/token", use: token)
        router.post("/oauth/revoke", use: revoke)
    }

    @Sendable func token(request: Request, context: APIRequestContext) async throws -> Response {
        try throttle.admit(request, context: context)
        let parameters = try await OAuthParameters.form(of: request)
        let client = try await authentication.authenticate(request, parameters)
        let outcome: OAuthTokenStore.Outcome
        switch parameters["grant_type"] {
        case "authorization_code":
            outcome = try await tokens.exchange(.init(
                code: try parameters.required("code"), clientID: client.clientID, redirectURI: try parameters.required("redirect_uri"),
                verifier: try parameters.required("code_verifier"), resource: parameters["resource"]))
        case "refresh_token":
            var scope: String?
            if let requested = parameters["scope"] {
                guard let granted = OAuthScopes.granted(requested: requested) else { throw OAuthError.invalidScope("Unknown scope.") }
                scope = granted
            }
            outcome = try await tokens.refresh(
                token: try parameters.required("refresh_token"), clientID: client.clientID, scope: scope, resource: parameters["resource"])
        case nil:
            throw OAuthError.invalidRequest("The parameter grant_type is required.")
        default:
            throw OAuthError.unsupportedGrantType("grant_type must be authorization_code or refresh_token.")
        }
        guard case .issued(let issuance) = outcome else {
            if case .refused(let reason) = outcome { throw OAuthError.invalidGrant(reason) }
            throw OAuthError.invalidGrant("Refused.")
        }
        let accessToken = try await signer.sign(for: issuance.subject)
        let body: JSONValue = [
            "access_token": .string(accessToken), "token_type": "Bearer",
            "expires_in": .number(JSONNumber(Int(signer.settings.accessTokenLifetime.components.seconds))),
            "refresh_token": .string(issuance.refreshToken.text), "scope": .string(issuance.subject.scope),
        ]
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: body.serializedBytes())))
    }

    /// RFC 7009 §2.2: 200 whether or not the token was known, so the answer tells nothing.
    /// Revoking a refresh token ends the authorization, and workers then refuse its access tokens;
    /// an access token itself is not tracked (it lives minutes), so presenting one changes nothing.
    @Sendable func revoke(request: Request, context: APIRequestContext) async throws -> Response {
        try throttle.admit(request, context: context)
        let parameters = try await OAuthParameters.form(of: request)
        let client = try await authentication.authenticate(request, parameters)
        try await tokens.revoke(token: try parameters.required("token"), clientID: client.clientID)
        return Response(status: .ok, headers: [.cacheControl: "no-store"])
    }
}
