import JSON

/// A JSON-RPC request id: a string or a number, kept as written (`1` and `1.0` are different ids
/// on the wire, and a 20-digit id must come back unchanged).
public enum JSONRPCID: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case number(JSONNumber)

    public init?(_ value: JSONValue) {
        switch value {
        case .string(let text): self = .string(text)
        case .number(let number): self = .number(number)
        default: return nil
        }
    }

    public var jsonValue: JSONValue {
        switch self {
        case .string(let text): .string(text)
        case .number(let number): .number(number)
        }
    }

    public var description: String { jsonValue.serialized() }
}

extension JSONRPCID: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
}
