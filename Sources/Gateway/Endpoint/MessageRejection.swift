import Shared

/// A request the gateway answers itself before any policy is consulted (design.md §5.9): the HTTP
/// status and the JSON-RPC error the client reads.
struct MessageRejection: Error, Equatable {
    let httpStatus: Int
    let error: JSONRPCErrorObject
    /// The id of the request it answers, when one could be read (JSON-RPC sends `null` otherwise).
    let id: JSONRPCID?

    static func parseError(_ message: String) -> MessageRejection {
        MessageRejection(httpStatus: 400, error: JSONRPCErrorObject(code: -32700, message: "Parse error: \(message)"), id: nil)
    }

    static func invalidRequest(_ message: String, id: JSONRPCID? = nil) -> MessageRejection {
        MessageRejection(httpStatus: 400, error: JSONRPCErrorObject(code: -32600, message: "Invalid Request: \(message)"), id: id)
    }

    /// MCP 2026-07-28: a routing header that disagrees with the body it travels with.
    static func headerMismatch(_ message: String, id: JSONRPCID?) -> MessageRejection {
        MessageRejection(httpStatus: 400, error: JSONRPCErrorObject(code: -32020, message: message), id: id)
    }

    static func tooLarge(limit: Int) -> MessageRejection {
        MessageRejection(
            httpStatus: 413,
            error: JSONRPCErrorObject(code: -32600, message: "Invalid Request: the body exceeds \(limit) bytes"), id: nil)
    }

    static let bodyTimeout = MessageRejection(
        httpStatus: 408, error: JSONRPCErrorObject(code: -32600, message: "Invalid Request: the body did not arrive in time"), id: nil)

    /// The JSON-RPC response body to send.
    var response: JSONRPCResponse {
        JSONRPCResponse(id: id, outcome: .error(error))
    }
}
