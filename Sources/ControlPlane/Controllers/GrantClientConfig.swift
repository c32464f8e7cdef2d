import Foundation
import JSON
import Shared

/// Ready-to-paste client configuration: a Claude Code command and the JSON snippets of Claude
/// Desktop, Cursor and VS Code. With a grant token, each sends it in the `Authorization` header
/// (only ever part of the grant create and rotate answers, since it holds the token). Without one,
/// the OAuth form (issue 14 item 6): only the URL, and the client finds the authorization server
/// from the gateway's 401 and signs the member in through the consent page.
enum GrantClientConfig {
    static func json(serverName: String, gatewayURL: String, token: SecretToken?) -> JSONValue {
        let name = entryName(serverName)
        let bearer = token.map { "Bearer \($0.text)" }
        let headers: JSONValue? = bearer.map { ["Authorization": .string($0)] }
        // Claude Desktop's config file starts local (stdio) servers only; mcp-remote bridges to
        // HTTP (and runs the OAuth flow itself). The header goes through an environment variable
        // because some launchers split arguments on spaces.
        var desktop = JSONObject([("command", "npx"), ("args", ["-y", "mcp-remote", .string(gatewayURL)])])
        if let bearer {
            desktop["args"] = ["-y", "mcp-remote", .string(gatewayURL), "--header", "Authorization:${PORTCULLIS_AUTHORIZATION}"]
            desktop["env"] = ["PORTCULLIS_AUTHORIZATION": .string(bearer)]
        }
        var cursor = JSONObject([("url", .string(gatewayURL))])
        var vscode = JSONObject([("type", "http"), ("url", .string(gatewayURL))])
        if let headers {
            cursor["headers"] = headers
            vscode["headers"] = headers
        }
        func entry(_ value: JSONObject) -> JSONValue { .object(JSONObject([(name, .object(value))])) }
        let command = "claude mcp add --transport http \(name) \(gatewayURL)" + (bearer.map { " --header 'Authorization: \($0)'" } ?? "")
        return [
            "claude_code": ["command": .string(command)],
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
