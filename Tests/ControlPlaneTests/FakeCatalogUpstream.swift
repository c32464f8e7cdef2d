import Foundation
import Hummingbird
import JSON
import Logging
import NIOCore
import Shared
import Synchronization

/// A stateless MCP server on a loopback port, answering `initialize` and `tools/list` in JSON, whose
/// tool list a test changes between discoveries (a rug pull, a removed tool). It records the
/// `Authorization` and `X-Api-Key` headers it receives, to prove credentials reach the upstream.
final class FakeCatalogUpstream: Sendable {
    private struct State {
        var tools: [JSONValue]
        var credentialsSeen: [String] = []
    }

    private let state: Mutex<State>
    let port: Int

    private init(tools: [JSONValue], port: Int) {
        state = Mutex(State(tools: tools))
        self.port = port
    }

    var url: String { "http://127.0.0.1:\(port)/mcp" }

    func setTools(_ tools: [JSONValue]) { state.withLock { $0.tools = tools } }

    /// Every `Authorization` or `X-Api-Key` value received, in order.
    var credentialsSeen: [String] { state.withLock { $0.credentialsSeen } }

    static func tool(_ name: String, description: String? = nil, annotations: JSONValue? = nil) -> JSONValue {
        var tool = JSONObject([("name", .string(name)), ("description", .string(description ?? "Does \(name)."))])
        tool["inputSchema"] = ["type": "object", "properties": ["pod_id": ["type": "string"]]]
        if let annotations { tool["annotations"] = annotations }
        return .object(tool)
    }

    /// Runs an upstream serving `tools` for the duration of `body`.
    static func run<T: Sendable>(tools: [JSONValue], _ body: (FakeCatalogUpstream) async throws -> T) async throws -> T {
        let box = Mutex<FakeCatalogUpstream?>(nil)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let upstream = box.withLock { $0 }!
            return try await upstream.answer(request)
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) },
            logger: Logger(label: "test.fake-catalog-upstream") { _ in SwiftLogNoOpLogHandler() }
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let upstream = FakeCatalogUpstream(tools: tools, port: port)
            box.withLock { $0 = upstream }
            let value = try await body(upstream)
            group.cancelAll()
            return value
        }
    }

    private func answer(_ request: Request) async throws -> Response {
        let credential = request.headers[.authorization] ?? request.headers.first { $0.name.canonicalName == "x-api-key" }?.value
        if let credential { state.withLock { $0.credentialsSeen.append(credential) } }
        guard request.method == .post else { return Response(status: .methodNotAllowed) }
        let bytes = try await request.body.collect(upTo: 1 << 20)
        let message = try JSONValue.parse(Array(bytes.readableBytesView))
        guard let id = message["id"] else { return Response(status: .accepted) }
        let result: JSONValue
        switch message["method"]?.stringValue {
        case "initialize":
            result = ["protocolVersion": message["params"]?["protocolVersion"] ?? "2025-06-18",
                      "capabilities": ["tools": [:]], "serverInfo": ["name": "fake-runpod", "version": "1"]]
        case "tools/list":
            result = ["tools": .array(state.withLock { $0.tools })]
        default:
            result = [:]
        }
        let response: JSONValue = ["jsonrpc": "2.0", "id": id, "result": result]
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: response.serializedBytes())))
    }
}
