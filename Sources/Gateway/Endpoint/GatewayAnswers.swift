import HTTPTypes
import Hummingbird
import JSON
import NIOCore
import PolicyEngine
import Shared

/// The answers the gateway writes itself rather than relaying from the upstream. Policy decisions
/// are MCP results with HTTP 200 (design.md §5.3); HTTP errors are for what comes before a decision:
/// authentication, sessions, malformed bodies, readiness.
enum GatewayAnswers {
    static let jsonContentType = "application/json"
    static let sseContentType = "text/event-stream"

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = jsonContentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.serializedBytes())))
    }

    static func error(_ error: JSONRPCErrorObject, id: JSONRPCID?, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        json(JSONRPCResponse(id: id, outcome: .error(error)).jsonValue, status: status, headers: headers)
    }

    static func rejection(_ rejection: MessageRejection) -> Response {
        json(rejection.response.jsonValue, status: .init(code: rejection.httpStatus))
    }

    /// design.md §5.3: 401 with `WWW-Authenticate: Bearer` (RFC 6750), 403 for a grant on another server's URL.
    /// `challenge` replaces the 401's plain challenge (`ProtectedResource`, issue 14 item 1).
    static func refusal(_ refusal: GrantRefusal, challenge: String? = nil) -> Response {
        var headers: HTTPFields = [:]
        if refusal.httpStatus == 401 {
            headers[.wwwAuthenticate] = challenge
                ?? (refusal == .missingToken ? #"Bearer realm="portcullis""# : #"Bearer realm="portcullis", error="invalid_token""#)
        }
        return error(JSONRPCErrorObject(code: -32001, message: refusal.message), id: nil, status: .init(code: refusal.httpStatus), headers: headers)
    }

    /// A token without the scope `method` needs (issue 14 item 1): 403 with the step-up challenge.
    static func insufficientScope(method: String, needs scope: MCPScopes, id: JSONRPCID?, challenge: String) -> Response {
        error(
            JSONRPCErrorObject(code: -32001, message: "The access token does not grant \(scope.claim), which \(method) needs."), id: id,
            status: .forbidden, headers: [.wwwAuthenticate: challenge])
    }

    /// A session id that does not open for this grant: 404 makes a client initialize again (MCP transport spec).
    static let sessionNotFound = error(JSONRPCErrorObject(code: -32001, message: "Session not found: initialize a new session"), id: nil, status: .notFound)

    static let noSnapshot = error(
        JSONRPCErrorObject(code: -32603, message: "The gateway has no policy snapshot yet; try again shortly."), id: nil,
        status: .serviceUnavailable, headers: [.retryAfter: "1"])

    /// design.md §7: an event that cannot be spooled refuses the call rather than go unrecorded.
    static func auditUnavailable(id: JSONRPCID?) -> Response {
        error(auditUnavailableError, id: id, status: .serviceUnavailable, headers: [.retryAfter: "5"])
    }

    static let auditUnavailableError = JSONRPCErrorObject(
        code: -32603, message: "The gateway cannot record this request in its audit log right now; try again shortly.")

    static let originRefused = error(JSONRPCErrorObject(code: -32001, message: "Origin not allowed"), id: nil, status: .forbidden)

    static let missingToolNameError = JSONRPCErrorObject(code: -32602, message: "Invalid params: tools/call needs a tool name")

    /// design.md §5.3: a hidden tool gets exactly the error of a tool that does not exist.
    static func unknownToolError(_ name: String) -> JSONRPCErrorObject {
        JSONRPCErrorObject(code: -32602, message: PolicyMessages.unknownTool(name))
    }

    /// design.md §5.4: an unreachable upstream or a timeout is a JSON-RPC error with HTTP 200.
    static func upstreamUnavailableError(_ reason: String) -> JSONRPCErrorObject {
        JSONRPCErrorObject(code: -32603, message: "Upstream MCP server unavailable: \(reason)")
    }
}
