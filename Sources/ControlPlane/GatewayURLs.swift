import Foundation
import Shared

/// The URLs agents reach a server through (design.md §5.1), from the operator's `--public-gateway-url`.
struct GatewayURLs: Sendable {
    /// Without a trailing slash, e.g. `https://mcp.example.com`.
    let base: String

    init(base: String) {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
    }

    /// `{base}/mcp/{serverId}`, used with `Authorization: Bearer pcs_gt_...`.
    func gatewayURL(server: UUID) -> String {
        "\(base)/mcp/\(server.uuidString.lowercased())"
    }

    /// `{base}/g/{token}/mcp`, for clients that cannot send headers. As secret as the token.
    func secretURL(token: SecretToken) -> String {
        "\(base)/g/\(token.text)/mcp"
    }
}
