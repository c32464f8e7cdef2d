import Hummingbird

/// Cross-origin access to the public OAuth documents and endpoints (issue 14 leftover 3): an MCP
/// client running in a browser fetches the gateway's Protected Resource Metadata and the control
/// plane's metadata, JWKS, token, registration and revocation endpoints from another origin. Those
/// paths answer with `Access-Control-Allow-Origin: *` (never with credentials: none of them reads a
/// cookie) and answer preflights. Every other path is left alone: `/v1` (the console's cookie
/// session), `/oauth/authorize` and the consent page never grant cross-origin access.
public struct PublicCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Whether a request path is one of the public ones.
    let isPublic: @Sendable (String) -> Bool

    public init(isPublic: @escaping @Sendable (String) -> Bool) {
        self.isPublic = isPublic
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard isPublic(request.uri.path) else { return try await next(request, context) }
        if request.method == .options { return Self.preflight }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // An OAuth error answer (400 invalid_grant, ...) must reach the page too, or the client
            // sees only a network error.
            response = try error.response(from: request, context: context)
        }
        response.headers[.accessControlAllowOrigin] = "*"
        return response
    }

    /// The headers MCP clients send: `Authorization` (client_secret_basic), `Content-Type` (form and
    /// JSON bodies), `MCP-Protocol-Version` (the SDKs send it on discovery requests).
    static var preflight: Response {
        Response(status: .noContent, headers: [
            .accessControlAllowOrigin: "*",
            .accessControlAllowMethods: "GET, POST, OPTIONS",
            .accessControlAllowHeaders: "Authorization, Content-Type, MCP-Protocol-Version",
            .accessControlMaxAge: "86400",
        ])
    }
}
