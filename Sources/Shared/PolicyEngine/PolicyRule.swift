import JSON

/// A `require` or `deny_if` rule (design.md §4): `{ "name"?, "conditions": [...], "on_deny"? }`.
public struct PolicyRule: Sendable {
    public enum Kind: Sendable {
        /// Denies when any condition is false.
        case require
        /// Denies when every condition is true, so `"conditions": []` always denies.
        case denyIf
    }

    public let kind: Kind
    public let name: String?
    public let conditions: [PolicyCondition]
    public let onDeny: String?
    /// JSON Pointer of the rule in the document, e.g. `/tools/create-pod/deny_if/0`.
    public let pointer: String

    /// The condition that makes this rule deny the call, or nil when the call passes. For a
    /// `deny_if` rule with no conditions the answer is "denied" with no single condition to blame.
    /// In strict mode a condition whose path holds the wrong type denies first, whatever the
    /// others say: the rule cannot be judged, so the call is not let through.
    func denial(for call: PolicyCall, strict: Bool) -> PolicyDenial? {
        if strict, let denial = conditions.lazy.compactMap({ $0.strictTypeDenial(for: call, rule: self.pointer, ruleName: self.name) }).first {
            return denial
        }
        switch kind {
        case .require:
            guard let failed = conditions.firstIndex(where: { !$0.holds(for: call) }).map({ conditions[$0] }) else { return nil }
            return PolicyDenial(
                code: .requireFailed, rule: pointer,
                message: onDeny ?? PolicyMessages.requireFailed(tool: call.tool, rule: name ?? pointer, condition: failed.summary))
        case .denyIf:
            guard conditions.allSatisfy({ $0.holds(for: call) }) else { return nil }
            return PolicyDenial(
                code: .denyIf, rule: pointer,
                message: onDeny ?? PolicyMessages.denyIf(tool: call.tool, rule: name ?? pointer, conditions: conditions.map(\.summary)))
        }
    }
}

/// A tool's `approval` block (design.md §4, §5.6).
public struct ApprovalRule: Sendable {
    public static let defaultTimeoutSeconds = 15 * 60
    public static let defaultHoldSeconds = 25

    /// All must hold for the approval to apply; none means it always applies.
    public let when: [PolicyCondition]
    public let requirement: ApprovalRequirement

    func applies(to call: PolicyCall) -> Bool {
        when.allSatisfy { $0.holds(for: call) }
    }

    /// Strict mode: a `when` condition whose path holds the wrong type denies the call, blamed on
    /// the condition itself.
    func strictTypeDenial(for call: PolicyCall) -> PolicyDenial? {
        when.lazy.compactMap { $0.strictTypeDenial(for: call, rule: $0.pointer, ruleName: nil) }.first
    }
}

/// What the gateway needs to hold a call for a human: how long the approval lives, how long to
/// hold the client's request open, and the message for a denial.
public struct ApprovalRequirement: Sendable, Equatable {
    /// `/tools/<name>/approval`, or `(risk)` when `risk: approve` asked for it.
    public let rule: String
    public let timeoutSeconds: Int
    public let holdSeconds: Int
    public let onDeny: String?

    public init(rule: String, timeoutSeconds: Int = ApprovalRule.defaultTimeoutSeconds,
                holdSeconds: Int = ApprovalRule.defaultHoldSeconds, onDeny: String? = nil) {
        self.rule = rule
        self.timeoutSeconds = timeoutSeconds
        self.holdSeconds = min(holdSeconds, timeoutSeconds)
        self.onDeny = onDeny
    }
}
