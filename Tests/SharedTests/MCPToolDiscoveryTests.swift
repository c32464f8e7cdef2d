import Foundation
import Logging
import Testing
@testable import Shared
import JSON

@Suite(.timeLimit(.minutes(1))) struct MCPToolDiscoveryTests {
    static let loopbackOnly = UpstreamAddressPolicy(allowsPlainHTTP: true, allowedNetworks: [IPNetwork("127.0.0.0/8")!])
    static let logger = Logger(label: "test.discovery")

    static func pinned(_ port: Int, host: String = "127.0.0.1") async throws -> PinnedUpstream {
        let resolver = FakeHostResolver(table: ["mcp.upstream.test": [IPAddress("127.0.0.1")!]])
        return try await UpstreamAddressGuard(policy: loopbackOnly, resolver: resolver).check("http://\(host):\(port)/mcp")
    }

    static func discover(
        _ port: Int, auth: UpstreamAuth = .none, configuration: MCPClientConfiguration = MCPClientConfiguration()
    ) async throws -> Result<DiscoveredTools, MCPClientError> {
        let upstream = try await pinned(port)
        do {
            return .success(try await MCPToolDiscovery.discoverTools(at: upstream, auth: auth, configuration: configuration, logger: logger))
        } catch {
            return .failure(error)
        }
    }

    @Test func statefulJSONServerListsEveryPageAndEndsTheSession() async throws {
        let server = ScriptedMCPServer(answers: .json, stateful: true, pages: ScriptedMCPServer.threePages)
        try await FakeMCPUpstream.run({ server.answer($0) }) { port, requests in
            let found = try await Self.discover(port, auth: .bearer(token: "up-secret")).get()
            #expect(found.tools.map(\.name) == ["list_pods", "get_pod", "stop_pod", "delete_pod"])
            #expect(found.protocolVersion == "2025-11-25")
            #expect(found.serverInfo?["name"] == "fake")
            // Only the hashed fields are kept: `_meta` changes must not unapprove a tool.
            #expect(found.tools[0].definition["_meta"] == nil)
            #expect(found.tools[0].definitionHash == ToolDefinitionHash(definition: ScriptedMCPServer.tool("list_pods")))

            let seen = requests()
            #expect(seen.map { $0.jsonRPCMethod ?? $0.method.rawValue }
                == ["initialize", "notifications/initialized", "tools/list", "tools/list", "tools/list", "DELETE"])
            #expect(seen.allSatisfy { $0.header("Authorization") == "Bearer up-secret" })
            #expect(seen.dropFirst().allSatisfy { $0.header("Mcp-Session-Id") == "session-1" && $0.header("MCP-Protocol-Version") == "2025-11-25" })
            #expect(seen[0].header("Mcp-Session-Id") == nil)
            #expect(seen[0].header("Accept") == "application/json, text/event-stream")
            #expect(seen[3].body?["params"]?["cursor"] == "page-1")
        }
    }

    @Test func statelessEventStreamServerWithOlderVersionAndStaticHeaders() async throws {
        let server = ScriptedMCPServer(answers: .eventStream, stateful: false, pages: ScriptedMCPServer.threePages, protocolVersion: "2025-06-18")
        try await FakeMCPUpstream.run({ server.answer($0) }) { port, requests in
            let found = try await Self.discover(port, auth: .headers([("X-Api-Key", "k-123")])).get()
            #expect(found.tools.count == 4)
            #expect(found.protocolVersion == "2025-06-18")
            let seen = requests()
            #expect(seen.count == 5, "no DELETE without a session")
            #expect(seen.allSatisfy { $0.header("X-Api-Key") == "k-123" && $0.header("Mcp-Session-Id") == nil })
            #expect(seen.dropFirst().allSatisfy { $0.header("MCP-Protocol-Version") == "2025-06-18" })
        }
    }

    @Test func statefulEventStreamServer() async throws {
        let server = ScriptedMCPServer(answers: .eventStream, stateful: true, pages: ScriptedMCPServer.threePages)
        try await FakeMCPUpstream.run({ server.answer($0) }) { port, requests in
            let found = try await Self.discover(port).get()
            #expect(found.tools.count == 4)
            #expect(requests().last?.method == .delete)
        }
    }

    @Test func pinnedAddressIsWhereTheClientConnects() async throws {
        let server = ScriptedMCPServer(answers: .json, stateful: false, pages: [[ScriptedMCPServer.tool("only")]])
        try await FakeMCPUpstream.run({ server.answer($0) }) { port, requests in
            // The name exists only in the fake resolver: success proves the socket went to the
            // checked address while the Host header kept the registered name.
            let upstream = try await Self.pinned(port, host: "mcp.upstream.test")
            let found = try await MCPToolDiscovery.discoverTools(at: upstream, auth: .none, logger: Self.logger)
            #expect(found.tools.map(\.name) == ["only"])
            #expect(requests().first?.authority == "mcp.upstream.test:\(port)")
        }
    }

    @Test func unknownSessionIsAnHTTPErrorWithTheServersMessage() async throws {
        let server = ScriptedMCPServer(answers: .json, stateful: true, pages: ScriptedMCPServer.threePages)
        try await FakeMCPUpstream.run({ request in
            // The upstream restarts right after initialize.
            if request.jsonRPCMethod == "notifications/initialized" { server.forgetSessions() }
            return server.answer(request)
        }) { port, _ in
            let error = try #require(try await Self.discover(port).failure)
            #expect(error.kind == .httpStatus(404))
            #expect(error.method == "notifications/initialized")
            #expect(error.detail == "HTTP 404 Not Found: Session not found")
        }
    }

    @Test func redirectIsNotFollowed() async throws {
        let server = ScriptedMCPServer(answers: .json, stateful: false, pages: ScriptedMCPServer.threePages)
        try await FakeMCPUpstream.run({ request in
            request.path == "/mcp" ? .raw(.temporaryRedirect, headers: [("Location", "/elsewhere")]) : server.answer(request)
        }) { port, requests in
            let error = try #require(try await Self.discover(port).failure)
            #expect(error.kind == .httpStatus(307))
            #expect(error.detail.contains("redirects are not followed"))
            #expect(requests().allSatisfy { $0.path == "/mcp" })
        }
    }

    @Test(arguments: [
        FakeAnswer(delayBeforeHead: .seconds(5)),
        FakeAnswer.eventStream([": still thinking\n\n"]).withBodyDelay(.seconds(5)),
    ])
    func slowServerTimesOut(slow: FakeAnswer) async throws {
        try await FakeMCPUpstream.run({ _ in slow }) { port, _ in
            let started = ContinuousClock.now
            let error = try #require(try await Self.discover(port, configuration: MCPClientConfiguration(requestTimeout: .milliseconds(300))).failure)
            #expect(error.kind == .timeout)
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }

    @Test func unreachableServer() async throws {
        // A port that was just listening and is now closed.
        let port = try await FakeMCPUpstream.run({ _ in .raw(.ok) }) { port, _ in port }
        // AsyncHTTPClient retries a refused connection until the connect timeout.
        let error = try #require(try await Self.discover(port, configuration: MCPClientConfiguration(connectTimeout: .milliseconds(300))).failure)
        #expect(error.kind == .unreachable)
        #expect(error.method == "initialize")
        #expect(error.detail.hasPrefix("cannot reach 127.0.0.1: "))
    }

    static let initializeResult: JSONValue = ["protocolVersion": "2025-11-25", "capabilities": [:], "serverInfo": ["name": "x", "version": "1"]]

    @Test(arguments: [
        ("not JSON", FakeAnswer.raw(.ok, contentType: "application/json", "<html>hello</html>"), MCPClientError.Kind.malformedAnswer),
        ("HTML", FakeAnswer.raw(.ok, contentType: "text/html", "<html>hello</html>"), .malformedAnswer),
        ("no content type", FakeAnswer.raw(.ok, "{}"), .malformedAnswer),
        ("not JSON-RPC", FakeAnswer.json(["hello": "world"]), .malformedAnswer),
        ("wrong id", FakeAnswer.json(["jsonrpc": "2.0", "id": 99, "result": initializeResult]), .malformedAnswer),
        ("duplicate keys", FakeAnswer.raw(.ok, contentType: "application/json", #"{"jsonrpc":"2.0","id":1,"id":1,"result":{}}"#), .malformedAnswer),
        ("stream without response", FakeAnswer.eventStream(["data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\n\n"]), .malformedAnswer),
        ("garbage event", FakeAnswer.eventStream(["data: {oops\n\n"]), .malformedAnswer),
        ("no protocol version", FakeAnswer.json(["jsonrpc": "2.0", "id": 1, "result": ["capabilities": [:]]]), .malformedAnswer),
        ("unsupported version", FakeAnswer.json(["jsonrpc": "2.0", "id": 1, "result": ["protocolVersion": "2024-11-05"]]), .unsupportedProtocolVersion("2024-11-05")),
        ("JSON-RPC error", FakeAnswer.json(["jsonrpc": "2.0", "id": 1, "error": ["code": -32602, "message": "Unsupported protocol version"]]),
         .jsonRPCError(JSONRPCErrorObject(code: -32602, message: "Unsupported protocol version"))),
        ("server error 500", FakeAnswer.raw(.internalServerError, contentType: "text/plain", "boom"), .httpStatus(500)),
        ("too large", FakeAnswer.raw(.ok, contentType: "application/json", String(repeating: " ", count: 20_000) + "{}"), .tooLarge),
        ("too large stream", FakeAnswer.eventStream(Array(repeating: ": padding padding padding padding\n", count: 1_000)), .tooLarge),
    ])
    func garbageAnswerToInitializeIsAClearError(label: String, answer: FakeAnswer, kind: MCPClientError.Kind) async throws {
        try await FakeMCPUpstream.run({ _ in answer }) { port, _ in
            let error = try #require(try await Self.discover(port, configuration: MCPClientConfiguration(maxResponseBytes: 16 << 10)).failure, "\(label)")
            #expect(error.kind == kind, "\(label): \(error)")
            #expect(error.method == "initialize")
        }
    }

    @Test func paginationThatLoopsIsRefused() async throws {
        try await FakeMCPUpstream.run({ request in
            guard let id = request.body?["id"] else { return FakeAnswer(status: .accepted) }
            let result: JSONValue = request.jsonRPCMethod == "initialize"
                ? Self.initializeResult
                : ["tools": [ScriptedMCPServer.tool("t\(id)")], "nextCursor": "same"]
            return .json(["jsonrpc": "2.0", "id": id, "result": result])
        }) { port, _ in
            let error = try #require(try await Self.discover(port).failure)
            #expect(error.kind == .malformedAnswer)
            #expect(error.detail.contains("loop"))
        }
    }
}

extension FakeAnswer {
    func withBodyDelay(_ delay: Duration) -> FakeAnswer {
        var copy = self
        copy.delayBeforeBody = delay
        return copy
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
