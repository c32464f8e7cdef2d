import JSON

extension PolicyDenial {
    public static let messagePrefix = "[POLICY DENIED] "

    /// The `result` of a denied `tools/call` (design.md §5.3): a tool result the model can read, with the
    /// machine-readable decision under `_meta["portcullis/decision"]`. It is a result, not a
    /// JSON-RPC error, so the agent sees the reason instead of a transport failure.
    public func toolResult() -> JSONValue {
        var decision: JSONObject = JSONObject([("code", .string(code.rawValue)), ("rule", .string(rule))])
        if let retryAfterSeconds {
            decision["retry_after_s"] = .number(JSONNumber(retryAfterSeconds))
        }
        return [
            "content": [["type": "text", "text": .string(Self.messagePrefix + message)]],
            "isError": true,
            "_meta": ["portcullis/decision": .object(decision)],
        ]
    }
}
