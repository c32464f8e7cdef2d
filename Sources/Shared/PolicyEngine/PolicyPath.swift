import JSON

/// Where a condition looks (design.md §4): `args.a.b` and `args.items.0.id` into the call's arguments,
/// and (ext) `identity.label`, `identity.metadata.x`, `session.id`.
public struct PolicyPath: Sendable, Equatable, CustomStringConvertible {
    public enum Root: Sendable, Equatable {
        case arguments
        case identityLabel
        case identityMetadata
        case sessionID
    }

    /// One step below the root: a key into an object, which also indexes an array when numeric.
    struct Step: Sendable, Equatable {
        let key: String
        let index: Int?
    }

    public let root: Root
    let steps: [Step]
    public let description: String

    /// Parses a path, or returns the reason it is not one.
    static func parse(_ text: String) -> Result<PolicyPath, PolicyPathError> {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.contains(where: \.isEmpty) else { return .failure(.emptySegment) }
        let root: Root
        let rest: ArraySlice<String>
        switch parts.first {
        case "args" where parts.count >= 2:
            root = .arguments; rest = parts.dropFirst()
        case "identity" where parts.count == 2 && parts[1] == "label":
            root = .identityLabel; rest = []
        case "identity" where parts.count >= 3 && parts[1] == "metadata":
            root = .identityMetadata; rest = parts.dropFirst(2)
        case "session" where parts.count == 2 && parts[1] == "id":
            root = .sessionID; rest = []
        default:
            return .failure(.unknownRoot)
        }
        let steps = rest.map { Step(key: $0, index: Self.arrayIndex($0)) }
        return .success(PolicyPath(root: root, steps: steps, description: text))
    }

    /// Only plain decimal numbers index arrays, so `01` or `-1` never silently address element 1.
    private static func arrayIndex(_ key: String) -> Int? {
        guard key == "0" || (key.first != "0" && key.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 })) else { return nil }
        return Int(key)
    }

    /// The value at this path in the call, or nil when any step is missing.
    func resolve(in call: PolicyCall) -> JSONValue? {
        switch root {
        case .identityLabel: return .string(call.identityLabel)
        case .sessionID: return call.sessionID.map(JSONValue.string)
        case .arguments: return Self.descend(call.arguments, steps[...])
        case .identityMetadata: return Self.descend(call.identityMetadata, steps[...])
        }
    }

    private static func descend(_ value: JSONValue, _ steps: ArraySlice<Step>) -> JSONValue? {
        var current = value
        for step in steps {
            switch current {
            case .object(let object):
                guard let next = object[step.key] else { return nil }
                current = next
            case .array(let elements):
                guard let index = step.index, index < elements.count else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }
}

enum PolicyPathError: Error {
    case emptySegment
    case unknownRoot

    var message: String {
        switch self {
        case .emptySegment: "must not contain empty segments"
        case .unknownRoot: "must start with args., identity.label, identity.metadata. or session.id"
        }
    }
}
