import JSON

/// One compiled condition: `{ "path": ..., "op": ..., "value": ... }` (design.md §4).
///
/// Each operator's value is checked and converted when the policy is compiled, so evaluation only
/// compares: no parsing, no regex compilation, no allocation on the common path. Strings compare
/// by code points, never by canonical equivalence (issue 10 item 23, `CodePointText`).
public struct PolicyCondition: Sendable {
    public enum Operator: String, Sendable, CaseIterable {
        case eq, neq, `in`, not_in, lt, lte, gt, gte, regex, contains, exists, len_lte, len_gte
    }

    enum Test: Sendable {
        case equals(JSONValue, negated: Bool)
        case member([JSONValue], negated: Bool)
        case compare(JSONNumber, Operator)
        case regex(PolicyRegex)
        /// `needle` is set when the value is a string, prepared once for substring search.
        case contains(JSONValue, needle: CodePointNeedle?)
        case exists(Bool)
        case length(Int, atMost: Bool)
    }

    /// What a condition says about a call. `wrongType` is a path that exists but holds a value the
    /// operator cannot judge (`gpuCount: "4"` for `gt 1`): in the default mode the condition is
    /// then `lenientlyHolds` (false, except `neq`/`not_in`, which hold for a list or an object), in
    /// strict mode the call is denied (issue 10 item 14).
    enum Outcome: Equatable {
        case holds
        case fails
        case wrongType(expected: String, lenientlyHolds: Bool)
    }

    public let path: PolicyPath
    public let op: Operator
    let test: Test
    /// `args.gpuCount lte 2`: names the condition in default denial messages.
    public let summary: String
    /// JSON Pointer of the condition in the document, e.g. `/tools/x/approval/when/0`.
    public let pointer: String

    func holds(for call: PolicyCall) -> Bool {
        switch outcome(for: call) {
        case .holds: true
        case .fails: false
        case .wrongType(_, let lenientlyHolds): lenientlyHolds
        }
    }

    /// A missing path makes every operator false except `exists: false` (design.md §4).
    func outcome(for call: PolicyCall) -> Outcome {
        guard let actual = path.resolve(in: call) else {
            if case .exists(let expected) = test { return !expected ? .holds : .fails }
            return .fails
        }
        switch test {
        case .equals(let expected, let negated):
            guard actual.isScalar else { return .wrongType(expected: "a string, number, boolean or null", lenientlyHolds: negated) }
            return Self.looselyEqual(actual, expected) != negated ? .holds : .fails
        case .member(let options, let negated):
            guard actual.isScalar else { return .wrongType(expected: "a string, number, boolean or null", lenientlyHolds: negated) }
            return options.contains { Self.looselyEqual(actual, $0) } != negated ? .holds : .fails
        case .compare(let bound, let op):
            guard case .number(let number) = actual else { return .wrongType(expected: "a number", lenientlyHolds: false) }
            let order = number.compare(bound)
            let holds = switch op {
            case .lt: order < 0
            case .lte: order <= 0
            case .gt: order > 0
            default: order >= 0
            }
            return holds ? .holds : .fails
        case .regex(let regex):
            guard case .string(let text) = actual else { return .wrongType(expected: "a string", lenientlyHolds: false) }
            return regex.matches(text) ? .holds : .fails
        case .contains(let value, let needle):
            switch actual {
            case .string(let text):
                return needle?.isFound(in: text) == true ? .holds : .fails
            case .array(let elements):
                return elements.contains { Self.looselyEqual($0, value) } ? .holds : .fails
            default:
                return .wrongType(expected: "a string or an array", lenientlyHolds: false)
            }
        case .exists(let expected):
            return expected ? .holds : .fails
        case .length(let bound, let atMost):
            let length: Int
            switch actual {
            case .string(let text): length = text.unicodeScalars.count
            case .array(let elements): length = elements.count
            case .object(let object): length = object.count
            default: return .wrongType(expected: "a string, an array or an object", lenientlyHolds: false)
            }
            return (atMost ? length <= bound : length >= bound) ? .holds : .fails
        }
    }

    /// `eq` semantics (design.md §4): two numbers compare as numbers (`1` equals `1.0`); otherwise both
    /// sides compare as their string forms (`"2"` equals `2`, `true` equals `"true"`), code point by
    /// code point. Arrays and objects have no string form and equal nothing.
    static func looselyEqual(_ actual: JSONValue, _ expected: JSONValue) -> Bool {
        if case .number(let a) = actual, case .number(let b) = expected { return a.numericallyEquals(b) }
        guard let a = scalarText(actual), let b = scalarText(expected) else { return false }
        return a.utf8.elementsEqual(b.utf8)
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
