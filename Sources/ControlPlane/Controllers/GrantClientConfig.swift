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

/// Ready-to-paste client configuration for a freshly issued grant token: a Claude Code command
/// and the JSON snippets of Claude Desktop, Cursor and VS Code, each sending the token in the
/// `Authorization` header. Only ever part of the create and rotate answers, since it holds the token.
enum GrantClientConfig {
    static func json(serverName: String, gatewayURL: String, token: SecretToken) -> JSONValue {
        let name = entryName(serverName)
        let bearer = "Bearer \(token.text)"
        let headers: JSONValue = ["Authorization": .string(bearer)]
        // Claude Desktop's config file starts local (stdio) servers only; mcp-remote bridges to
        // HTTP. The header goes through an environment variable because some launchers split
        // arguments on spaces.
        let desktop: JSONValue = [
            "command": "npx",
            "args": ["-y", "mcp-remote", .string(gatewayURL), "--header", "Authorization:${PORTCULLIS_AUTHORIZATION}"],
            "env": ["PORTCULLIS_AUTHORIZATION": .string(bearer)],
        ]
        let cursor: JSONValue = ["url": .string(gatewayURL), "headers": headers]
        let vscode: JSONValue = ["type": "http", "url": .string(gatewayURL), "headers": headers]
        func entry(_ value: JSONValue) -> JSONValue { .object(JSONObject([(name, value)])) }
        return [
            "claude_code": ["command": .string("claude mcp add --transport http \(name) \(gatewayURL) --header 'Authorization: \(bearer)'")],
            "claude_desktop": ["file": "claude_desktop_config.json", "config": ["mcpServers": entry(desktop)]],
            "cursor": ["file": "~/.cursor/mcp.json", "config": ["mcpServers": entry(cursor)]],
            "vscode": ["file": ".vscode/mcp.json", "config": ["servers": entry(vscode)]],
        ]
    }

    /// A name every client accepts as a config key and a shell word: `portcullis-` plus the
    /// server's name in lowercase letters, digits and dashes.
    static func entryName(_ serverName: String) -> String {
        var slug = ""
        for scalar in serverName.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        slug = slug.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return slug.isEmpty ? "portcullis" : "portcullis-\(slug)"
    }
}
