import JSON

/// The part of a tool's catalog `inputSchema` the gateway checks before judging a call, when the
/// policy sets `"validate_arguments": true` (ext, issue 10 item 14): `type` (a name or a list of
/// names), `required`, `properties` and `items`, recursively. Every other keyword is ignored, so
/// this is a floor, not a full JSON Schema validator: it stops an agent from slipping a string past
/// a numeric condition, which is what the policy needs. Built once per snapshot; its size is bounded
/// by the catalog schema's size, which the control plane caps.
public final class ArgumentSchema: Sendable {
    /// Allowed JSON Schema type names; nil allows any value.
    private let types: Set<String>?
    private let required: [String]
    private let properties: [(name: String, schema: ArgumentSchema)]
    private let items: ArgumentSchema?

    public init(_ schema: JSONValue) {
        let object = schema.objectValue ?? JSONObject()
        switch object["type"] {
        case .string(let name): types = [name]
        case .array(let names): types = Set(names.compactMap(\.stringValue))
        default: types = nil
        }
        required = object["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        properties = object["properties"]?.objectValue?.members.map { ($0.key, ArgumentSchema($0.value)) } ?? []
        items = object["items"].map(ArgumentSchema.init)
    }

    /// The first way `value` breaks the schema, e.g. `args.gpuCount must be integer (is a string)`;
    /// nil when it fits.
    public func violation(of value: JSONValue, at path: String) -> String? {
        if let types, !types.contains(where: { Self.value(value, hasType: $0) }) {
            return "\(path) must be \(types.sorted().joined(separator: " or ")) (is \(value.kindName))"
        }
        switch value {
        case .object(let object):
            for name in required where object[name] == nil { return "\(path).\(name) is required" }
            for property in properties {
                if let member = object[property.name], let problem = property.schema.violation(of: member, at: "\(path).\(property.name)") {
                    return problem
                }
            }
        case .array(let elements):
            guard let items else { return nil }
            for (index, element) in elements.enumerated() {
                if let problem = items.violation(of: element, at: "\(path).\(index)") { return problem }
            }
        default:
            break
        }
        return nil
    }

    private static func value(_ value: JSONValue, hasType type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("number", .number):
            true
        case ("integer", .number(let number)):
            number.int64Value != nil || number.doubleValue.isFinite && number.doubleValue == number.doubleValue.rounded()
        default:
            // An unknown type name allows nothing, as in JSON Schema; the upstream's own
            // validation would refuse the call too.
            false
        }
    }
}
