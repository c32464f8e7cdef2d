import JSON

/// A JSON-RPC response: a result or an error for the request with the same id.
public struct JSONRPCResponse: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case result(JSONValue)
        case error(JSONRPCErrorObject)
    }

    /// Nil only for an error about a request whose id could not be read (JSON-RPC sends `null`).
    public var id: JSONRPCID?
    public var outcome: Outcome

    public init(id: JSONRPCID?, outcome: Outcome) {
        self.id = id
        self.outcome = outcome
    }

    init(_ object: JSONObject) throws(JSONRPCMessageError) {
        switch object["id"] {
        case .none, .null?: id = nil
        case let value?:
            guard let id = JSONRPCID(value) else { throw JSONRPCMessageError("id must be a string, a number or null") }
            self.id = id
        }
        switch (object["result"], object["error"]) {
        case (let result?, nil):
            guard id != nil else { throw JSONRPCMessageError("a result needs an id") }
            outcome = .result(result)
        case (nil, let error?):
            outcome = .error(try JSONRPCErrorObject(error))
        default:
            throw JSONRPCMessageError("a message needs a method, or exactly one of result and error")
        }
    }

    public var jsonValue: JSONValue {
        var object = JSONObject([("jsonrpc", "2.0"), ("id", id?.jsonValue ?? .null)])
        switch outcome {
        case .result(let result): object["result"] = result
        case .error(let error): object["error"] = error.jsonValue
        }
        return .object(object)
    }
}

/// The `error` member of a response.
public struct JSONRPCErrorObject: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    init(_ value: JSONValue) throws(JSONRPCMessageError) {
        guard let code = value["code"]?.numberValue?.int64Value, let intCode = Int(exactly: code),
              let message = value["message"]?.stringValue
        else { throw JSONRPCMessageError("an error needs an integer code and a string message") }
        self.init(code: intCode, message: message, data: value["data"])
    }

    public var jsonValue: JSONValue {
        var object = JSONObject([("code", .number(JSONNumber(code))), ("message", .string(message))])
        object["data"] = data
        return .object(object)
    }

    public var description: String { "\(message) (\(code))" }
}
