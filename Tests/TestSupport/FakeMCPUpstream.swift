import Foundation
import Hummingbird
import JSON
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import Shared

/// An MCP server speaking Streamable HTTP on a loopback port of the test process, for the gateway's
/// integration tests and the end-to-end benchmark. It records every request it receives (headers
/// included, so a test can check what the gateway forwarded) and answers as `/work/shared/mcp-wire.md`
/// shows a real server answering.
///
/// `tools/call` answers `{"content":[{"type":"text","text":"<canonical {tool, arguments}>"}],"isError":false}`.
/// Tools with special behaviour, callable whether listed or not:
/// - `slow`: waits `arguments.ms` milliseconds, then answers;
/// - `fail_http`: answers HTTP 500;
/// - `endless_event`: answers an SSE stream of `data: ` and `arguments.bytes` bytes without a
///   newline, then holds the connection until the client goes away or the server stops;
/// - `progress`: in SSE mode, sends a `notifications/progress` event before the result;
/// - `trickle`: in SSE mode, sends `arguments.events` progress events 200 ms apart (stopping
///   when the client goes away), then the result.
public final class FakeMCPUpstream: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Answers are `application/json`.
        case json
        /// Answers are `text/event-stream` with one `message` event (and an `id:`).
        case sse
    }

    public struct Configuration: Sendable {
        /// Tool definitions served by `tools/list`.
        public var tools: [JSONValue]
        /// When set, `tools/list` answers pages of this many tools, linked by `nextCursor`.
        public var pageSize: Int?
        public var mode: Mode
        /// Issues an `Mcp-Session-Id` on `initialize`; then a request without one is 400 and an
        /// unknown one 404, as the Python SDK does.
        public var stateful: Bool
        /// GET opens an SSE stream that sends one notification and stays open; otherwise 405.
        public var getStream: Bool
        /// Keep every request in `received`; the benchmark turns this off.
        public var recordRequests: Bool
        /// The path the server answers on.
        public var path: String

        public init(
            tools: [JSONValue] = FakeMCPUpstream.exampleTools,
            pageSize: Int? = nil,
            mode: Mode = .json,
            stateful: Bool = false,
            getStream: Bool = false,
            recordRequests: Bool = true,
            path: String = "/mcp"
        ) {
            self.tools = tools
            self.pageSize = pageSize
            self.mode = mode
            self.stateful = stateful
            self.getStream = getStream
            self.recordRequests = recordRequests
            self.path = path
        }
    }

    /// One HTTP request as the server received it.
    public struct ReceivedRequest: Sendable {
        /// `POST`, `GET` or `DELETE`.
        public let method: String
        public let path: String
        /// The `Host` header (HTTP/1.1), which Hummingbird keeps apart from the other headers.
        public let authority: String?
        /// Every header in arrival order, names as sent.
        public let headers: [(name: String, value: String)]
        public let body: [UInt8]
        /// The JSON-RPC method of a single message, or of each element of a batch.
        public let jsonRPCMethods: [String]

        /// The JSON-RPC method of a single message (the first of a batch).
        public var jsonRPCMethod: String? { jsonRPCMethods.first }

        /// The first value of a header, compared case-insensitively.
        public func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        /// The body parsed as JSON, nil if it is not.
        public var json: JSONValue? { try? JSONParser().parse(body) }
    }

    struct State {
        var tools: [JSONValue]
        var pageSize: Int?
        var mode: Mode
        var received: [ReceivedRequest] = []
        var callCounts: [String: Int] = [:]
        var sessions: Set<String> = []
        var eventCounter = 0
        var stopping = false
        var hostility = Hostility()
    }

    let configuration: Configuration
    let state: NIOLockedValueBox<State>
    public let port: Int
    private let serviceGroup: ServiceGroup
    private let running: Task<Void, any Error>

    /// `http://127.0.0.1:PORT/mcp`
    public var url: String { "http://127.0.0.1:\(port)\(configuration.path)" }

    private init(configuration: Configuration, state: NIOLockedValueBox<State>, port: Int, serviceGroup: ServiceGroup, running: Task<Void, any Error>) {
        self.configuration = configuration
        self.state = state
        self.port = port
        self.serviceGroup = serviceGroup
        self.running = running
    }

    /// Starts the server on a free loopback port; returns once it accepts connections.
    public static func start(_ configuration: Configuration = Configuration()) async throws -> FakeMCPUpstream {
        let state = NIOLockedValueBox(State(tools: configuration.tools, pageSize: configuration.pageSize, mode: configuration.mode))
        var logger = Logger(label: "fake-mcp-upstream")
        logger.logLevel = .warning
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: Self.router(configuration: configuration, state: state),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        // The server outlives this call (start/stop rather than a scoped `with` body, so a test
        // suite can hold one across its cases); `stop()` shuts the group down and awaits this task.
        let running = Task {
            defer { portContinuation.finish() }
            try await serviceGroup.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port != 0 else {
            running.cancel()
            _ = await running.result
            throw FakeMCPUpstreamError("the fake MCP upstream did not start")
        }
        return FakeMCPUpstream(configuration: configuration, state: state, port: port, serviceGroup: serviceGroup, running: running)
    }

    /// Starts a server, runs `body`, stops the server (also when `body` throws).
    public static func withRunning<T: Sendable>(_ configuration: Configuration = Configuration(), _ body: (FakeMCPUpstream) async throws -> T) async throws -> T {
        let upstream = try await start(configuration)
        do {
            let value = try await body(upstream)
            await upstream.stop()
            return value
        } catch {
            await upstream.stop()
            throw error
        }
    }

    /// Ends held streams, shuts the server down gracefully and waits for it (at most 5 s, then
    /// cancels it).
    public func stop() async {
        state.withLockedValue { $0.stopping = true }
        await serviceGroup.triggerGracefulShutdown()
        let running = self.running
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = await running.result }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                running.cancel()
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Replaces the tool definitions `tools/list` serves (a rug pull, a new tool).
    public func setTools(_ tools: [JSONValue]) {
        state.withLockedValue { $0.tools = tools }
    }

    public func setMode(_ mode: Mode) {
        state.withLockedValue { $0.mode = mode }
    }

    /// Every request received so far, in arrival order.
    public var received: [ReceivedRequest] {
        state.withLockedValue { $0.received }
    }

    public func clearReceived() {
        state.withLockedValue { $0.received = [] }
    }

    /// How many `tools/call` requests for `tool` arrived (counted even when requests are not recorded).
    public func callCount(tool: String) -> Int {
        state.withLockedValue { $0.callCounts[tool] ?? 0 }
    }

    /// The session ids issued and not yet deleted (stateful mode).
    public var openSessions: Set<String> {
        state.withLockedValue { $0.sessions }
    }

    /// A tool definition as `tools/list` shows it.
    public static func tool(_ name: String, description: String = "", annotations: JSONValue? = nil) -> JSONValue {
        var definition: JSONObject = JSONObject([
            ("name", .string(name)),
            ("description", .string(description.isEmpty ? "The \(name) tool." : description)),
            ("inputSchema", ["type": "object", "properties": [:]]),
        ])
        if let annotations { definition["annotations"] = annotations }
        return .object(definition)
    }

    /// A few plain tools plus the special ones.
    public static let exampleTools: [JSONValue] = [
        tool("echo"), tool("list_pods", annotations: ["readOnlyHint": true]), tool("stop-pod"),
        tool("slow"), tool("fail_http"), tool("endless_event"), tool("progress"),
    ]

    /// The tools with special behaviour, answered even when not in the tool list.
    static let specialTools: Set<String> = ["slow", "fail_http", "endless_event", "progress", "trickle"]
}

public struct FakeMCPUpstreamError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
