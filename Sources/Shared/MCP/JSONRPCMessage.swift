import JSON

/// One JSON-RPC 2.0 message as MCP uses it (batches are arrays of these, handled by the caller).
///
/// Built on `JSONValue` so `params` and `result` pass through untouched: numbers keep their text
/// and members their order, which the gateway needs to forward exactly what it judged.
public enum JSONRPCMessage: Sendable, Equatable {
    case request(JSONRPCRequest)
    case notification(JSONRPCNotification)
    case response(JSONRPCResponse)

    /// Reads a parsed message; anything that is not a well-formed request, notification or
    /// response is an error (-32600 at the gateway).
    public init(_ value: JSONValue) throws(JSONRPCMessageError) {
        guard let object = value.objectValue else { throw JSONRPCMessageError("a JSON-RPC message must be an object") }
        guard object["jsonrpc"] == "2.0" else { throw JSONRPCMessageError(#"a JSON-RPC message must have "jsonrpc": "2.0""#) }
        let params = object["params"]
        if let params, params.objectValue == nil, params.arrayValue == nil {
            throw JSONRPCMessageError("params must be an object or an array")
        }
        if let method = object["method"] {
            guard let name = method.stringValue else { throw JSONRPCMessageError("method must be a string") }
            guard let idValue = object["id"] else {
                self = .notification(JSONRPCNotification(method: name, params: params))
                return
            }
            guard let id = JSONRPCID(idValue) else { throw JSONRPCMessageError("id must be a string or a number") }
            self = .request(JSONRPCRequest(id: id, method: name, params: params))
            return
        }
        self = .response(try JSONRPCResponse(object))
    }

    public var jsonValue: JSONValue {
        switch self {
        case .request(let request): request.jsonValue
        case .notification(let notification): notification.jsonValue
        case .response(let response): response.jsonValue
        }
    }
}

public struct JSONRPCRequest: Sendable, Equatable {
    public var id: JSONRPCID
    public var method: String
    public var params: JSONValue?

    public init(id: JSONRPCID, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }

    public var jsonValue: JSONValue {
        var object = JSONObject([("jsonrpc", "2.0"), ("id", id.jsonValue), ("method", .string(method))])
        object["params"] = params
        return .object(object)
    }
}

public struct JSONRPCNotification: Sendable, Equatable {
    public var method: String
    public var params: JSONValue?

    public init(method: String, params: JSONValue? = nil) {
        self.method = method
        self.params = params
    }

    public var jsonValue: JSONValue {
        var object = JSONObject([("jsonrpc", "2.0"), ("method", .string(method))])
        object["params"] = params
        return .object(object)
    }
}

/// Why a JSON value is not a JSON-RPC message.
public struct JSONRPCMessageError: Error, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
