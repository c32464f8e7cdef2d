import AsyncHTTPClient
import JSON
import Logging
import NIOCore
import NIOPosix

/// Lists an upstream's tools the way an MCP client would (design.md §5.7): `initialize`,
/// `notifications/initialized`, every page of `tools/list`, then DELETE of the session.
///
/// Each discovery gets its own short-lived HTTP client because the connection target, the
/// address the SSRF guard checked, is part of the client's configuration
/// (`HTTPClient.Configuration.untrustedHost`). Discovery runs at registration, on demand and every
/// 5 minutes, so the client's set-up cost does not matter.
public enum MCPToolDiscovery {
    /// `upstream` must come from a fresh `UpstreamAddressGuard.check` (DNS may have changed since
    /// registration).
    public static func discoverTools(
        at upstream: PinnedUpstream,
        auth: UpstreamAuth,
        configuration: MCPClientConfiguration = MCPClientConfiguration(),
        logger: Logger
    ) async throws(MCPClientError) -> DiscoveredTools {
        // A refused connection is an answer: `unreachable` now, not a timeout later.
        let httpConfiguration = HTTPClient.Configuration.untrustedHost(upstream, connectTimeout: TimeAmount(configuration.connectTimeout))
        let outcome: Result<DiscoveredTools, MCPClientError>
        do {
            outcome = try await HTTPClient.withHTTPClient(
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                configuration: httpConfiguration
            ) { httpClient in
                var session = StreamableHTTPClientSession(
                    httpClient: httpClient, upstream: upstream, auth: auth, configuration: configuration, logger: logger)
                let result: Result<DiscoveredTools, MCPClientError>
                do throws(MCPClientError) {
                    result = .success(try await listTools(in: &session))
                } catch {
                    result = .failure(error)
                }
                // Ended whether or not listing worked, so the upstream can free the session.
                await session.end()
                return result
            }
        } catch {
            // Only the client's shutdown can fail here; the discovery's own outcome is inside.
            throw MCPClientError(.unreachable, method: "shutdown", "HTTP client shutdown failed: \(error)")
        }
        return try outcome.get()
    }

    private static func listTools(in session: inout StreamableHTTPClientSession) async throws(MCPClientError) -> DiscoveredTools {
        let (protocolVersion, serverInfo) = try await initialize(&session)
        try await session.notify("notifications/initialized")

        var tools: [DiscoveredTool] = []
        var names: Set<String> = []
        var cursor: JSONValue?
        var seenCursors: Set<String> = []
        for _ in 0..<session.configuration.maxToolPages {
            let params: JSONValue? = cursor.map { .object(JSONObject([("cursor", $0)])) }
            let page = try await session.call("tools/list", params: params)
            for tool in try toolList(in: page) {
                guard names.insert(tool.name).inserted else {
                    throw MCPClientError(.malformedAnswer, method: "tools/list", "tool \(tool.name) is listed twice")
                }
                tools.append(tool)
            }
            guard let next = page["nextCursor"], !next.isNull else {
                return DiscoveredTools(protocolVersion: protocolVersion, serverInfo: serverInfo, tools: tools)
            }
            guard let text = next.stringValue, seenCursors.insert(text).inserted else {
                throw MCPClientError(.malformedAnswer, method: "tools/list", "nextCursor is not a new string; pagination would loop")
            }
            cursor = next
        }
        throw MCPClientError(.malformedAnswer, method: "tools/list", "more than \(session.configuration.maxToolPages) pages of tools")
    }

    /// Offers our newest version and accepts any version we speak in the answer (MCP lifecycle:
    /// the server answers with another version when it does not support the one offered).
    private static func initialize(_ session: inout StreamableHTTPClientSession) async throws(MCPClientError) -> (String, JSONValue?) {
        let configuration = session.configuration
        let params: JSONValue = .object(JSONObject([
            ("protocolVersion", .string(MCPClientConfiguration.supportedProtocolVersions[0])),
            ("capabilities", .object(JSONObject())),
            ("clientInfo", .object(JSONObject([("name", .string(configuration.clientName)), ("version", .string(configuration.clientVersion))]))),
        ]))
        let result = try await session.call("initialize", params: params)
        guard let version = result["protocolVersion"]?.stringValue else {
            throw MCPClientError(.malformedAnswer, method: "initialize", "the answer has no protocolVersion")
        }
        guard MCPClientConfiguration.supportedProtocolVersions.contains(version) else {
            throw MCPClientError(.unsupportedProtocolVersion(version), method: "initialize",
                                 "the server speaks MCP \(version); supported: \(MCPClientConfiguration.supportedProtocolVersions.joined(separator: ", "))")
        }
        session.protocolVersion = version
        return (version, result["serverInfo"])
    }

    private static func toolList(in page: JSONValue) throws(MCPClientError) -> [DiscoveredTool] {
        guard let list = page["tools"]?.arrayValue else {
            throw MCPClientError(.malformedAnswer, method: "tools/list", "the answer has no tools array")
        }
        var tools: [DiscoveredTool] = []
        for entry in list {
            guard let name = entry["name"]?.stringValue, !name.isEmpty else {
                throw MCPClientError(.malformedAnswer, method: "tools/list", "a tool has no name")
            }
            tools.append(DiscoveredTool(name: name, definition: ToolDefinitionHash.hashedSubset(of: entry)))
        }
        return tools
    }
}
