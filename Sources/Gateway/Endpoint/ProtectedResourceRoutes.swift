import Foundation
import Hummingbird
import Shared

/// RFC 9728 Protected Resource Metadata (issue 14 item 1): `GET /.well-known/oauth-protected-resource/mcp/{serverId}`
/// for each server, and the root form for the gateway as a whole. An MCP client reads it after a
/// 401 (the challenge names it) to find the authorization server: the control plane, whose issuer
/// the snapshot's signing keys carry. Public, like any discovery document.
struct ProtectedResourceRoutes: Sendable {
    let resource: ProtectedResource
    let snapshots: SnapshotStore

    func add(to router: Router<GatewayRequestContext>) {
        router.get(RouterPath(ProtectedResource.metadataPath)) { _, _ in
            metadata(server: nil)
        }
        router.get(RouterPath(ProtectedResource.metadataPath + "/mcp/:serverId")) { _, context in
            guard let server = context.parameters.get("serverId").flatMap(UUID.init(uuidString:)) else { return Self.unknownServer }
            return metadata(server: server)
        }
    }

    private func metadata(server: UUID?) -> Response {
        guard let snapshot = snapshots.snapshot else { return GatewayAnswers.noSnapshot }
        if let server, snapshot.serversByID[server] == nil { return Self.unknownServer }
        let document = resource.metadata(server: server, authorizationServers: snapshot.oauth.authorizationServers(at: Date()))
        return GatewayAnswers.json(document, headers: [.cacheControl: "max-age=60"])
    }

    private static let unknownServer = GatewayAnswers.json(
        ["error": "not_found", "error_description": "No MCP server has this id."], status: .notFound)
}
