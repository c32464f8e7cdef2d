import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOConcurrencyHelpers
import NIOCore
import Shared

/// The request context of the fake upstream: the connection is kept so a held stream can end when
/// the client goes away.
struct FakeMCPUpstreamContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

extension FakeMCPUpstream {
    static let sessionHeader = HTTPField.Name("Mcp-Session-Id")!

    static func router(configuration: Configuration, state: NIOLockedValueBox<State>) -> Router<FakeMCPUpstreamContext> {
        let router = Router(context: FakeMCPUpstreamContext.self)
        router.add(middleware: FakeMCPUpstreamHostileHeaders(state: state))
        let path = RouterPath(configuration.path)
        router.post(path) { request, context in
            let body = Array(buffer: try await request.body.collect(upTo: 64 << 20))
            let parsed = try? JSONParser().parse(body)
            record(request, body: body, parsed: parsed, configuration: configuration, state: state)
            return try await answerPost(parsed, request: request, context: context, configuration: configuration, state: state)
        }
        router.get(path) { request, context in
            record(request, body: [], parsed: nil, configuration: configuration, state: state)
            guard configuration.getStream else { return Response(status: .methodNotAllowed) }
            if let refusal = sessionRefusal(request, configuration: configuration, state: state) { return refusal }
            let notification: JSONValue = [
                "jsonrpc": "2.0", "method": "notifications/message",
                "params": ["level": "info", "data": "fake upstream stream open"],
            ]
            let listed = state.withLockedValue { $0.hostility.listOnGetStream }
                ? sseEvent(result(id: 99, toolsPage(cursor: nil, state: state)), state: state) : []
            let event = sseEvent(notification, state: state) + listed
            let channel = context.channel
            return Response(status: .ok, headers: sseHeaders(session: request.headers[sessionHeader]), body: ResponseBody { writer in
                try await writer.write(ByteBuffer(bytes: event))
                await holdUntilClosed(channel, state: state)
                try await writer.finish(nil)
            })
        }
        router.delete(path) { request, _ in
            record(request, body: [], parsed: nil, configuration: configuration, state: state)
            guard configuration.stateful else { return Response(status: .ok) }
            if let refusal = sessionRefusal(request, configuration: configuration, state: state) { return refusal }
            if let session = request.headers[sessionHeader] { _ = state.withLockedValue { $0.sessions.remove(session) } }
            return Response(status: .ok)
        }
        return router
    }

    private static func record(_ request: Request, body: [UInt8], parsed: JSONValue?, configuration: Configuration, state: NIOLockedValueBox<State>) {
        let messages = parsed.map { $0.arrayValue ?? [$0] } ?? []
        let calledTools = messages.compactMap { $0["method"]?.stringValue == "tools/call" ? $0["params"]?["name"]?.stringValue : nil }
        let received = configuration.recordRequests ? ReceivedRequest(
            method: request.method.rawValue,
            path: request.uri.path,
            authority: request.head.authority,
            headers: request.headers.map { (name: $0.name.rawName, value: $0.value) },
            body: body,
            jsonRPCMethods: messages.compactMap { $0["method"]?.stringValue }
        ) : nil
        state.withLockedValue { state in
            if let received { state.received.append(received) }
            for tool in calledTools { state.callCounts[tool, default: 0] += 1 }
        }
    }

    /// 400 without a session id, 404 with one the server did not issue (stateful mode only).
    private static func sessionRefusal(_ request: Request, configuration: Configuration, state: NIOLockedValueBox<State>) -> Response? {
        guard configuration.stateful else { return nil }
        guard let session = request.headers[sessionHeader] else {
            return jsonResponse(status: .badRequest, errorMessage(id: "server-error", code: -32600, "Bad Request: Missing session ID"), session: nil)
        }
        guard state.withLockedValue({ $0.sessions.contains(session) }) else {
            return jsonResponse(status: .notFound, errorMessage(id: "server-error", code: -32600, "Session not found"), session: nil)
        }
        return nil
    }

    private static func answerPost(
        _ parsed: JSONValue?, request: Request, context: FakeMCPUpstreamContext,
        configuration: Configuration, state: NIOLockedValueBox<State>
    ) async throws -> Response {
        guard let parsed, parsed.objectValue != nil || parsed.arrayValue != nil else {
            return jsonResponse(status: .badRequest, errorMessage(id: nil, code: -32700, "Parse error"), session: nil)
        }
        var session = request.headers[sessionHeader]
        if configuration.stateful {
            if parsed["method"]?.stringValue == "initialize" {
                let issued = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
                state.withLockedValue { _ = $0.sessions.insert(issued) }
                session = issued
            } else if let refusal = sessionRefusal(request, configuration: configuration, state: state) {
                return refusal
            }
        }
        let mode = state.withLockedValue { $0.mode }

        guard parsed.objectValue != nil else {
            // A batch: one answer per request, none for notifications and responses.
            var answers: [JSONValue] = []
            for message in parsed.arrayValue ?? [] where message["id"] != nil && message["method"] != nil {
                answers.append(try await answer(message, state: state))
            }
            if answers.isEmpty { return Response(status: .accepted, headers: sessionHeaders(session)) }
            return messageResponse(.array(answers), mode: mode, session: session, state: state)
        }
        guard parsed["id"] != nil, parsed["method"] != nil else {
            return Response(status: .accepted, headers: sessionHeaders(session))
        }
        if parsed["method"]?.stringValue == "tools/call" {
            switch parsed["params"]?["name"]?.stringValue {
            case "fail_http":
                return Response(status: .internalServerError, headers: sessionHeaders(session), body: .init(byteBuffer: ByteBuffer(string: "upstream failure")))
            case "endless_event":
                let count = parsed["params"]?["arguments"]?["bytes"]?.numberValue?.int64Value ?? 1 << 20
                return endlessEvent(bytes: Int(count), channel: context.channel, session: session, state: state)
            case "progress" where mode == .sse:
                let token = parsed["params"]?["_meta"]?["progressToken"] ?? "fake-progress"
                let progress: JSONValue = [
                    "jsonrpc": "2.0", "method": "notifications/progress",
                    "params": ["progressToken": token, "progress": 1, "total": 2],
                ]
                var body = sseEvent(progress, state: state)
                body += sseEvent(try await answer(parsed, state: state), state: state)
                return Response(status: .ok, headers: sseHeaders(session: session), body: .init(byteBuffer: ByteBuffer(bytes: body)))
            case "trickle" where mode == .sse:
                let count = parsed["params"]?["arguments"]?["events"]?.numberValue?.int64Value ?? 20
                let channel = context.channel
                let final = try await answer(parsed, state: state)
                return Response(status: .ok, headers: sseHeaders(session: session), body: ResponseBody { writer in
                    for step in 0..<count where channel.isActive && !state.withLockedValue({ $0.stopping }) {
                        let progress: JSONValue = [
                            "jsonrpc": "2.0", "method": "notifications/progress",
                            "params": ["progressToken": "trickle", "progress": .number(JSONNumber(step)), "total": .number(JSONNumber(count))],
                        ]
                        try await writer.write(ByteBuffer(bytes: sseEvent(progress, state: state)))
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    try await writer.write(ByteBuffer(bytes: sseEvent(final, state: state)))
                    try await writer.finish(nil)
                })
            default:
                break
            }
        }
        var status = HTTPResponse.Status.ok
        if parsed["method"]?.stringValue == "tools/list" { status = .init(code: state.withLockedValue { $0.hostility.listStatus }) }
        return messageResponse(try await answer(parsed, state: state), mode: mode, session: session, state: state, status: status)
    }

    /// The JSON-RPC answer to one request.
    private static func answer(_ message: JSONValue, state: NIOLockedValueBox<State>) async throws -> JSONValue {
        let id = message["id"] ?? .null
        let params = message["params"]
        switch message["method"]?.stringValue {
        case "initialize":
            return result(id: id, [
                "protocolVersion": params?["protocolVersion"] ?? "2025-06-18",
                "capabilities": ["tools": ["listChanged": false]],
                "serverInfo": ["name": "fake-mcp-upstream", "version": "1.0.0"],
            ])
        case "ping":
            return result(id: id, [:])
        case "tools/list":
            let asString = state.withLockedValue { $0.hostility.listIDAsString }
            return result(id: asString ? .string(id.serialized()) : id, toolsPage(cursor: params?["cursor"]?.stringValue, state: state))
        case "tools/call":
            let name = params?["name"]?.stringValue ?? ""
            let known = specialTools.contains(name) || state.withLockedValue { $0.tools.contains { $0["name"]?.stringValue == name } }
            guard known else { return errorMessage(id: id, code: -32602, "Unknown tool: \(name)") }
            let arguments = params?["arguments"] ?? [:]
            if name == "slow", let ms = arguments["ms"]?.numberValue?.int64Value {
                try await Task.sleep(for: .milliseconds(ms))
            }
            let echo: JSONValue = ["tool": .string(name), "arguments": arguments]
            return result(id: id, [
                "content": [["type": "text", "text": .string(echo.canonicalString())]],
                "isError": false,
            ])
        case let method:
            return errorMessage(id: id, code: -32601, "Method not found: \(method ?? "")")
        }
    }

    private static func toolsPage(cursor: String?, state: NIOLockedValueBox<State>) -> JSONValue {
        let (tools, pageSize) = state.withLockedValue { ($0.tools, $0.pageSize) }
        guard let pageSize, pageSize > 0 else { return ["tools": .array(tools)] }
        let start = min(max(Int(cursor ?? "0") ?? 0, 0), tools.count)
        let end = min(start + pageSize, tools.count)
        var page: JSONObject = JSONObject([("tools", .array(Array(tools[start..<end])))])
        if end < tools.count { page["nextCursor"] = .string(String(end)) }
        return .object(page)
    }
}
