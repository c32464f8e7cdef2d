import Foundation
import Hummingbird
import JSON
import Shared

/// `GET /.well-known/oauth-authorization-server` (RFC 8414) and `GET /oauth/jwks`: what a client
/// and a resource server need to find the endpoints and check the tokens (issue 14 item 2).
struct OAuthMetadataController {
    let settings: OAuthSettings
    let database: Database

    /// What browser-based MCP clients reach cross-origin (`PublicCORSMiddleware`): discovery, keys,
    /// and the endpoints a client calls itself. Not `/oauth/authorize` nor the consent page, which
    /// the member's browser opens as a page, and never `/v1`.
    static let crossOriginPaths: Set<String> = [
        "/.well-known/oauth-authorization-server", "/oauth/jwks", "/oauth/token", "/oauth/register", "/oauth/revoke",
    ]

    func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/.well-known/oauth-authorization-server", use: metadata)
        router.get("/oauth/jwks", use: jwks)
    }

    @Sendable func metadata(request: Request, context: APIRequestContext) async throws -> JSONResponse {
        JSONResponse([
            "issuer": .string(settings.issuer),
            "authorization_endpoint": .string(settings.url("/oauth/authorize")),
            "token_endpoint": .string(settings.url("/oauth/token")),
            "registration_endpoint": .string(settings.url("/oauth/register")),
            "revocation_endpoint": .string(settings.url("/oauth/revoke")),
            "jwks_uri": .string(settings.url("/oauth/jwks")),
            "scopes_supported": .array(OAuthScopes.supported.map(JSONValue.string)),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
            "revocation_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
            "client_id_metadata_document_supported": true,
            "authorization_response_iss_parameter_supported": true,
        ])
    }

    /// Keys whose overlap window has not ended, current one included.
    @Sendable func jwks(request: Request, context: APIRequestContext) async throws -> JSONResponse {
        let now = Date()
        let keys = try await database.withSession { try await OAuthSigningKeyStore.published($0, ids: nil) }
            .filter { $0.issuer == settings.issuer && ($0.retiresAt.map { $0 > now } ?? true) }
        return JSONResponse(["keys": .array(keys.map { key in
            ["kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": .string(key.algorithm), "kid": .string(key.kid), "x": .string(key.publicKey)]
        })])
    }
}
