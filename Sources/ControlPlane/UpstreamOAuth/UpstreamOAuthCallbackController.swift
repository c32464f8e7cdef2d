import Foundation
import Hummingbird
import Shared

/// `GET /v1/upstream-oauth/callback`: where an upstream's authorization server sends the member's
/// browser back (issue 14 item 5). No API key: the `state` is the capability, good once. The
/// answer is a plain page saying whether the identity is connected; it never shows the code, the
/// state or a token, and `Referrer-Policy: no-referrer` keeps the URL (with its code) from leaking
/// to any link.
struct UpstreamOAuthCallbackController: Sendable {
    static let path = "/v1/upstream-oauth/callback"

    let connect: UpstreamOAuthConnect
    let database: Database
    /// Per client address, at the OAuth endpoints' rate: a state cannot be guessed, but each try
    /// costs a database round trip, so an unauthenticated caller cannot make unbounded ones.
    let throttle: AuthenticationThrottle

    func addRoutes(to router: Router<APIRequestContext>) {
        router.get(RouterPath(Self.path)) { request, context in
            try throttle.admit(request, context: context)
            let outcome: UpstreamOAuthConnect.Outcome
            do {
                let query = try OAuthParameters(encoded: request.uri.query ?? "")
                outcome = try await connect.finish(
                    state: query["state"], code: query["code"], iss: query["iss"], error: query["error"], database: database, logger: context.logger)
            } catch let error as OAuthError {
                outcome = .refused(error.detail)
            }
            return Self.page(outcome)
        }
    }

    static func page(_ outcome: UpstreamOAuthConnect.Outcome) -> Response {
        let (status, title, text): (HTTPResponse.Status, String, String) = switch outcome {
        case .connected: (.ok, "Connected", "The identity is connected to the upstream server. You can close this tab.")
        case .refused(let reason): (.badRequest, "Not connected", reason)
        }
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Portcullis: \(title)</title></head>
            <body><main><h1>\(title)</h1><p>\(escape(text))</p></main></body></html>
            """
        var headers = ConsoleRoutes.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The reasons are our own sentences, but they name URLs an admin entered.
    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
