import JSON

/// `conditions_mode` (ext, issue 10 item 14): what a condition does when its path exists but holds
/// a value its operator cannot judge (`gpuCount: "4"` for `gt 1`). `lenient` (the default, design.md §4)
/// makes the condition false, which lets a `deny_if` pass; `strict` denies the call instead.
public enum ConditionsMode: String, Sendable, CaseIterable {
    case lenient, strict
}

extension PolicyCondition {
    /// The strict-mode denial when this condition's path holds the wrong type; nil otherwise.
    func strictTypeDenial(for call: PolicyCall, rule: String, ruleName: String?) -> PolicyDenial? {
        guard case .wrongType(let expected, _) = outcome(for: call), let actual = path.resolve(in: call) else { return nil }
        return PolicyDenial(
            code: .requireFailed, rule: rule,
            message: PolicyMessages.wrongType(tool: call.tool, rule: ruleName ?? rule, path: path.description,
                                              actual: actual.kindName, op: op.rawValue, expected: expected))
    }
}
