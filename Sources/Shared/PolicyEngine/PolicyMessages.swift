import JSON

/// The default texts the model reads after `[POLICY DENIED] ` when a rule has no `on_deny`.
/// They name the tool, the rule and the way forward, because the model can act on them.
public enum PolicyMessages {
    public static func noPolicy(tool: String) -> String {
        "Tool \"\(tool)\" is not allowed: this grant has no policy attached."
    }

    public static func defaultDeny(tool: String) -> String {
        "Tool \"\(tool)\" is not allowed by this policy (default deny)."
    }

    public static func riskDenied(tool: String, riskClass: RiskClass) -> String {
        "Tool \"\(tool)\" is not allowed by this policy (risk class \(riskClass.rawValue))."
    }

    public static func pinBlocked(tool: String) -> String {
        "Tool \"\(tool)\" is blocked: its definition changed or is not yet approved by an administrator."
    }

    static func requireFailed(tool: String, rule: String, condition: String) -> String {
        "Call to \"\(tool)\" does not meet requirement \(rule): \(condition) is not satisfied."
    }

    static func denyIf(tool: String, rule: String, conditions: [String]) -> String {
        conditions.isEmpty
            ? "Call to \"\(tool)\" is denied by rule \(rule)."
            : "Call to \"\(tool)\" is denied by rule \(rule): \(conditions.joined(separator: " and "))."
    }

    static func wrongType(tool: String, rule: String, path: String, actual: String, op: String, expected: String) -> String {
        "Call to \"\(tool)\" is denied by rule \(rule): \(path) is \(actual), but \(op) needs \(expected) (strict conditions)."
    }

    static func invalidArguments(tool: String, problem: String) -> String {
        "Call to \"\(tool)\" is denied: its arguments do not match the tool's input schema: \(problem)."
    }

    static func noInputSchema(tool: String) -> String {
        "Call to \"\(tool)\" is denied: this policy validates arguments and the tool's input schema is not known."
    }

    public static func rateLimited(max: Double, window: CounterWindow, counter: String, retryAfterSeconds: Int) -> String {
        "Rate limit of \(number(max)) per \(window.rawValue) reached for counter \"\(counter)\". Try again in \(retryAfterSeconds)s."
    }

    static func counterStoreUnavailable(counter: String) -> String {
        "Counter \"\(counter)\" cannot be checked right now (counter store unavailable), so the call is denied. Try again shortly."
    }

    static func badIncrement(path: String, counter: String) -> String {
        "Argument \(path) must be a non-negative number: counter \"\(counter)\" counts it."
    }

    public static func approvalPending(approvalID: String, expiresInSeconds: Int) -> String {
        "Approval \(approvalID) is pending. Retry the same call after a human approves it (expires in \(PolicyDuration.text(seconds: expiresInSeconds)))."
    }

    public static func approvalDenied(approvalID: String, reason: String?) -> String {
        "Approval \(approvalID) was denied by a human" + (reason.map { ": \($0)" } ?? ".")
    }

    public static func approvalExpired(approvalID: String) -> String {
        "Approval \(approvalID) expired before a human decided. Call again to request a new approval."
    }

    /// The JSON-RPC error message for a hidden tool, identical to one that does not exist (design.md §5.3).
    public static func unknownTool(_ tool: String) -> String {
        "Unknown tool: \(tool)"
    }

    /// `10`, not `10.0`; fractional quotas keep their fraction.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
