import Foundation
import Hummingbird

/// The MCP endpoint's routes (design.md §5.1): `/mcp/{serverId}` with `Authorization: Bearer pcs_gt_...`,
/// and `/g/{grantToken}/mcp` for clients that cannot set headers. POST carries messages, GET
/// opens the server's event stream, DELETE ends the session.
struct MCPRoutes: Sendable {
    let endpoint: MCPEndpoint
    /// Nil when tracing is off.
    let tracing: MCPTracing?

    func add(to router: Router<GatewayRequestContext>) {
        for method in [HTTPRequest.Method.post, .get, .delete] {
            router.on("/mcp/:serverId", method: method) { request, context in
                let serverID = context.parameters.get("serverId") ?? ""
                return await traced(request) {
                    await endpoint.handle(request, credential: .bearer(serverID: serverID), connection: context.connection)
                }
            }
            // The token is a secret: it must not reach logs, metrics or traces, so no route template
            // names it beyond this parameter, and the metrics middleware only sees the template.
            router.on("/g/:grantToken/mcp", method: method) { request, context in
                await traced(request) {
                    await endpoint.handle(
                        request, credential: .secretURL(token: context.parameters.get("grantToken") ?? ""), connection: context.connection)
                }
            }
        }
    }

    /// A non-escaping closure and a nil check when tracing is off: no allocation per request.
    private func traced(_ request: Request, _ handle: () async -> Response) async -> Response {
        guard let tracing else { return await handle() }
        return await tracing.traced(request, handle)
    }
}

/// How a request presents its grant.
enum GrantCredential: Sendable {
    /// `/mcp/{serverId}`: the token is in the `Authorization` header and the URL names the server.
    case bearer(serverID: String)
    /// `/g/{token}/mcp`: the URL is the secret; the grant names its server.
    case secretURL(token: String)
}
