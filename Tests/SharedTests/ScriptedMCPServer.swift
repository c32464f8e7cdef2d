import Hummingbird
import Synchronization
@testable import Shared
import JSON

/// A well-behaved MCP server for the fake upstream, modelled on the Python SDK's answers in
/// shared/mcp-wire.md: stateful (session ids, 404 for an unknown session) or stateless, answering
/// in JSON or over SSE, with `tools/list` split into pages.
final class ScriptedMCPServer: Sendable {
    enum Answers: Sendable { case json, eventStream }

    let answers: Answers
    let stateful: Bool
    let pages: [[JSONValue]]
    /// The version `initialize` answers with; nil echoes the client's.
    let protocolVersion: String?
    private let sessions = Mutex<Set<String>>([])
    private let sessionCounter = Mutex(0)

    init(answers: Answers, stateful: Bool, pages: [[JSONValue]], protocolVersion: String? = nil) {
        self.answers = answers
        self.stateful = stateful
        self.pages = pages
        self.protocolVersion = protocolVersion
    }

    static func tool(_ name: String) -> JSONValue {
        ["name": .string(name), "description": .string("Does \(name)."), "inputSchema": ["type": "object", "properties": [:]],
         "annotations": ["readOnlyHint": true], "_meta": ["ignored": true]]
    }

    static let threePages: [[JSONValue]] = [[tool("list_pods"), tool("get_pod")], [tool("stop_pod")], [tool("delete_pod")]]

    /// Forgets every session, as a restarted upstream would.
    func forgetSessions() { sessions.withLock { $0.removeAll() } }

    func answer(_ request: RecordedRequest) -> FakeAnswer {
        let sessionHeader = stateful ? [("Mcp-Session-Id", request.header("Mcp-Session-Id") ?? "")] : []
        if request.method == .delete {
            guard stateful else { return .raw(.methodNotAllowed) }
            guard let id = request.header("Mcp-Session-Id"), sessions.withLock({ $0.remove(id) }) != nil else { return Self.sessionNotFound }
            return .raw(.ok)
        }
        guard let body = request.body, let method = request.jsonRPCMethod else {
            return .raw(.badRequest, contentType: "application/json", #"{"jsonrpc":"2.0","id":"server-error","error":{"code":-32700,"message":"Parse error"}}"#)
        }
        if method == "initialize" {
            let version = protocolVersion ?? body["params"]?["protocolVersion"]?.stringValue ?? "2025-11-25"
            let result: JSONValue = ["protocolVersion": .string(version), "capabilities": ["tools": ["listChanged": false]],
                                     "serverInfo": ["name": "fake", "version": "1.0"]]
            var headers: [(String, String)] = []
            if stateful {
                let number = sessionCounter.withLock { counter in
                    counter += 1
                    return counter
                }
                let id = "session-\(number)"
                sessions.withLock { _ = $0.insert(id) }
                headers.append(("Mcp-Session-Id", id))
            }
            return respond(to: body, result: result, headers: headers)
        }
        if stateful {
            guard let id = request.header("Mcp-Session-Id") else {
                return .raw(.badRequest, contentType: "application/json", #"{"jsonrpc":"2.0","id":"server-error","error":{"code":-32600,"message":"Bad Request: Missing session ID"}}"#)
            }
            guard sessions.withLock({ $0.contains(id) }) else { return Self.sessionNotFound }
        }
        guard request.header("MCP-Protocol-Version") != nil else {
            return .raw(.badRequest, contentType: "application/json", #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"missing MCP-Protocol-Version"}}"#)
        }
        guard body["id"] != nil else { return FakeAnswer(status: .accepted, headers: sessionHeader) }
        guard method == "tools/list" else {
            return .json(["jsonrpc": "2.0", "id": body["id"]!, "error": ["code": -32601, "message": "Method not found"]])
        }
        let page = body["params"]?["cursor"]?.stringValue.flatMap { Int($0.dropFirst("page-".count)) } ?? 0
        var result: JSONObject = JSONObject([("tools", .array(pages[page]))])
        if page + 1 < pages.count { result["nextCursor"] = .string("page-\(page + 1)") }
        return respond(to: body, result: .object(result), headers: sessionHeader)
    }

    private static let sessionNotFound = FakeAnswer.raw(
        .notFound, contentType: "application/json", #"{"jsonrpc":"2.0","id":"server-error","error":{"code":-32600,"message":"Session not found"}}"#)

    /// Over SSE the response comes after a log notification, a comment and a server request,
    /// split across chunks mid-line and mid-CRLF, as real streams may be.
    private func respond(to request: JSONValue, result: JSONValue, headers: [(String, String)]) -> FakeAnswer {
        let response: JSONValue = ["jsonrpc": "2.0", "id": request["id"]!, "result": result]
        switch answers {
        case .json:
            return .json(response, headers: headers)
        case .eventStream:
            let text = response.serialized()
            // Split between two members: data lines are joined with LF, which JSON allows there.
            let middle = text.firstIndex(of: ",").map(text.index(after:)) ?? text.endIndex
            return .eventStream([
                "event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"hi\"}}\r\n\r\n",
                ": keep-alive\r\n\r\nid: 7\r\nevent: message\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"ping\"}\r",
                "\n\r\nevent: message\r\ndata: ", String(text[..<middle]), "\r\ndata: ", String(text[middle...]), "\r\n\r\n",
            ], headers: headers)
        }
    }
}
