import JSON

extension PolicyDocumentReader {
    mutating func rule(_ value: JSONValue, at pointer: String, kind: PolicyRule.Kind) -> PolicyRule? {
        guard let object = self.object(value, at: pointer, fields: ["name", "conditions", "on_deny"], required: ["conditions"]) else {
            return nil
        }
        let name = object["name"].flatMap { string($0, at: pointer + "/name") }
        let onDeny = object["on_deny"].flatMap { string($0, at: pointer + "/on_deny") }
        let before = problems.count
        let conditions = object["conditions"].map { elements($0, at: pointer + "/conditions") { $0.condition($1, at: $2) } } ?? []
        guard problems.count == before, object["conditions"] != nil else { return nil }
        return PolicyRule(kind: kind, name: name, conditions: conditions, onDeny: onDeny, pointer: pointer)
    }

    mutating func condition(_ value: JSONValue, at pointer: String) -> PolicyCondition? {
        guard let object = self.object(value, at: pointer, fields: ["path", "op", "value"], required: ["path", "op", "value"]) else {
            return nil
        }
        let path = object["path"].flatMap { self.path($0, at: pointer + "/path") }
        let op = object["op"].flatMap { choice($0, at: pointer + "/op", PolicyCondition.Operator.self) }
        guard let op, let expected = object["value"] else { return nil }
        guard let test = test(for: op, value: expected, at: pointer + "/value"), let path else { return nil }
        return PolicyCondition(path: path, op: op, test: test, summary: "\(path) \(op.rawValue) \(expected.serialized())", pointer: pointer)
    }

    /// Checks the value's type for the operator (design.md §4) and converts it once.
    private mutating func test(for op: PolicyCondition.Operator, value: JSONValue, at pointer: String) -> PolicyCondition.Test? {
        switch op {
        case .eq, .neq:
            guard value.isScalar else { return mismatch(pointer, op, "a string, number, boolean or null") }
            return .equals(value, negated: op == .neq)
        case .in, .not_in:
            guard case .array(let options) = value, options.allSatisfy(\.isScalar) else {
                return mismatch(pointer, op, "a list of strings, numbers, booleans or nulls")
            }
            return .member(options, negated: op == .not_in)
        case .lt, .lte, .gt, .gte:
            guard case .number(let bound) = value else { return mismatch(pointer, op, "a number") }
            return .compare(bound, op)
        case .regex:
            guard case .string(let pattern) = value else { return mismatch(pointer, op, "a string") }
            do {
                return .regex(try PolicyRegex(pattern))
            } catch {
                report(pointer, error.message)
                return nil
            }
        case .contains:
            guard value.isScalar else { return mismatch(pointer, op, "a string, number, boolean or null") }
            return .contains(value, needle: value.stringValue.map(CodePointNeedle.init))
        case .exists:
            guard case .bool(let expected) = value else { return mismatch(pointer, op, "a boolean") }
            return .exists(expected)
        case .len_lte, .len_gte:
            guard case .number(let number) = value, let bound = number.int64Value, bound >= 0 else {
                return mismatch(pointer, op, "a non-negative integer")
            }
            return .length(Int(bound), atMost: op == .len_lte)
        }
    }

    private mutating func mismatch(_ pointer: String, _ op: PolicyCondition.Operator, _ expected: String) -> PolicyCondition.Test? {
        report(pointer, "must be \(expected) for op \(op.rawValue)")
        return nil
    }

    mutating func limit(_ value: JSONValue, at pointer: String) -> PolicyLimit? {
        let fields = ["counter", "window", "max", "scope", "increment_from", "on_deny", "fail"]
        guard let object = self.object(value, at: pointer, fields: fields, required: ["counter", "window", "max"]) else {
            return nil
        }
        let before = problems.count
        let counter = object["counter"].flatMap { string($0, at: pointer + "/counter", nonEmpty: true) }
        let window = object["window"].flatMap { choice($0, at: pointer + "/window", CounterWindow.self) }
        let scope = object["scope"].map { choice($0, at: pointer + "/scope", CounterScope.self) } ?? .grant
        let fail = object["fail"].map { choice($0, at: pointer + "/fail", CounterFailMode.self) } ?? .closed
        let onDeny = object["on_deny"].flatMap { string($0, at: pointer + "/on_deny") }
        var max: Double?
        if let value = object["max"] {
            if case .number(let number) = value, number.doubleValue >= 0, number.doubleValue.isFinite {
                max = number.doubleValue
            } else {
                report(pointer + "/max", "must be a non-negative number")
            }
        }
        var incrementFrom: PolicyPath?
        if let value = object["increment_from"], let path = path(value, at: pointer + "/increment_from") {
            if path.root == .arguments { incrementFrom = path } else { report(pointer + "/increment_from", "must start with args.") }
        }
        guard problems.count == before, let counter, let window, let scope, let fail, let max else { return nil }
        return PolicyLimit(counter: counter, window: window, max: max, scope: scope, incrementFrom: incrementFrom,
                           onDeny: onDeny, fail: fail, pointer: pointer)
    }

    mutating func approval(_ value: JSONValue, at pointer: String) -> ApprovalRule? {
        guard let object = self.object(value, at: pointer, fields: ["when", "timeout", "hold", "on_deny"]) else { return nil }
        let before = problems.count
        let when = object["when"].map { elements($0, at: pointer + "/when") { $0.condition($1, at: $2) } } ?? []
        let timeout = object["timeout"].map { duration($0, at: pointer + "/timeout") } ?? ApprovalRule.defaultTimeoutSeconds
        let hold = object["hold"].map { duration($0, at: pointer + "/hold") } ?? ApprovalRule.defaultHoldSeconds
        let onDeny = object["on_deny"].flatMap { string($0, at: pointer + "/on_deny") }
        if object["hold"] != nil, let hold, let timeout, hold > timeout {
            report(pointer + "/hold", "must not be longer than the timeout")
        }
        guard problems.count == before, let timeout, let hold else { return nil }
        let requirement = ApprovalRequirement(rule: pointer, timeoutSeconds: timeout, holdSeconds: hold, onDeny: onDeny)
        return ApprovalRule(when: when, requirement: requirement)
    }
}

extension JSONValue {
    var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }
}
