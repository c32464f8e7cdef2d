import Hummingbird
import JSON
import Shared

/// An error of the OAuth endpoints (`/oauth/token`, `/oauth/register`, `/oauth/revoke`) in the
/// form their clients parse: `{"error", "error_description"}` (RFC 6749 §5.2, RFC 7591 §3.2.2),
/// not problem+json. `ProblemMiddleware` lets it through unchanged.
struct OAuthError: HTTPResponseError, Sendable {
    let status: HTTPResponse.Status
    /// The RFC's error code, e.g. `invalid_grant`.
    let code: String
    /// A human-readable explanation. Never a token or a secret.
    let detail: String
    var headers: HTTPFields = [:]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        let body: JSONValue = ["error": .string(code), "error_description": .string(detail)]
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.serializedBytes())))
    }

    static func invalidRequest(_ detail: String) -> OAuthError { OAuthError(status: .badRequest, code: "invalid_request", detail: detail) }
    static func invalidGrant(_ detail: String) -> OAuthError { OAuthError(status: .badRequest, code: "invalid_grant", detail: detail) }
    static func invalidScope(_ detail: String) -> OAuthError { OAuthError(status: .badRequest, code: "invalid_scope", detail: detail) }
    static func invalidTarget(_ detail: String) -> OAuthError { OAuthError(status: .badRequest, code: "invalid_target", detail: detail) }
    static func unsupportedGrantType(_ detail: String) -> OAuthError {
        OAuthError(status: .badRequest, code: "unsupported_grant_type", detail: detail)
    }
    static func invalidRedirectURI(_ detail: String) -> OAuthError { OAuthError(status: .badRequest, code: "invalid_redirect_uri", detail: detail) }
    static func invalidClientMetadata(_ detail: String) -> OAuthError {
        OAuthError(status: .badRequest, code: "invalid_client_metadata", detail: detail)
    }

    /// RFC 6749 §5.2: a failed client authentication is a 401 with a challenge when the client
    /// used the Authorization header.
    static func invalidClient(_ detail: String, basic: Bool = false) -> OAuthError {
        OAuthError(status: .unauthorized, code: "invalid_client", detail: detail,
                   headers: basic ? [.wwwAuthenticate: "Basic realm=\"portcullis\""] : [:])
    }
}
