/// One compiled condition: `{ "path": ..., "op": ..., "value": ... }` (SPEC 4).
///
/// Each operator's value is checked and converted when the policy is compiled, so evaluation only
/// compares: no parsing, no regex compilation, no allocation on the common path.
public struct PolicyCondition: Sendable {
    public enum Operator: String, Sendable, CaseIterable {
        case eq, neq, `in`, not_in, lt, lte, gt, gte, regex, contains, exists, len_lte, len_gte
    }

    enum Test: Sendable {
        case equals(JSONValue, negated: Bool)
        case member([JSONValue], negated: Bool)
        case compare(JSONNumber, Operator)
        case regex(PolicyRegex)
        case contains(JSONValue)
        case exists(Bool)
        case length(Int, atMost: Bool)
    }

    public let path: PolicyPath
    public let op: Operator
    let test: Test
    /// `args.gpuCount lte 2`: names the condition in default denial messages.
    public let summary: String

    /// A missing path makes every operator false except `exists: false` (SPEC 4).
    func holds(for call: PolicyCall) -> Bool {
        guard let actual = path.resolve(in: call) else {
            if case .exists(let expected) = test { return !expected }
            return false
        }
        switch test {
        case .equals(let expected, let negated):
            return Self.looselyEqual(actual, expected) != negated
        case .member(let options, let negated):
            return options.contains { Self.looselyEqual(actual, $0) } != negated
        case .compare(let bound, let op):
            guard case .number(let number) = actual else { return false }
            let order = number.compare(bound)
            switch op {
            case .lt: return order < 0
            case .lte: return order <= 0
            case .gt: return order > 0
            default: return order >= 0
            }
        case .regex(let regex):
            guard case .string(let text) = actual else { return false }
            return regex.matches(text)
        case .contains(let needle):
            switch actual {
            case .string(let text):
                guard case .string(let part) = needle else { return false }
                return part.isEmpty || text.contains(part)
            case .array(let elements):
                return elements.contains { Self.looselyEqual($0, needle) }
            default:
                return false
            }
        case .exists(let expected):
            return expected
        case .length(let bound, let atMost):
            let length: Int
            switch actual {
            case .string(let text): length = text.unicodeScalars.count
            case .array(let elements): length = elements.count
            case .object(let object): length = object.count
            default: return false
            }
            return atMost ? length <= bound : length >= bound
        }
    }

    /// `eq` semantics (SPEC 4): two numbers compare as numbers (`1` equals `1.0`); otherwise both
    /// sides compare as their string forms (`"2"` equals `2`, `true` equals `"true"`). Arrays and
    /// objects have no string form and equal nothing.
    static func looselyEqual(_ actual: JSONValue, _ expected: JSONValue) -> Bool {
        if case .number(let a) = actual, case .number(let b) = expected { return a.numericallyEquals(b) }
        guard let a = scalarText(actual), let b = scalarText(expected) else { return false }
        return a == b
    }

    private static func scalarText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): s
        case .number(let n): n.text
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .array, .object: nil
        }
    }
}
