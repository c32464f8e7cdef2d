import JSON

/// The engine's answer for one `tools/call`. The gateway carries it out: it reserves the counters,
/// holds the call for approval, or answers with the denial.
public enum PolicyDecision: Sendable, Equatable {
    /// Forward the call once every counter is reserved (an empty plan forwards at once).
    case allow(counters: [CounterReservation])
    /// Wait for a human (design.md §5.6); once approved, reserve the counters and forward.
    case needsApproval(ApprovalRequirement, counters: [CounterReservation])
    case deny(PolicyDenial)
    /// Answer exactly as for a tool that does not exist (design.md §5.3), and leave it out of `tools/list`.
    case hidden

    /// The rule pointer or marker that decided, for the audit row.
    public var rule: String? {
        switch self {
        case .allow: nil
        case .needsApproval(let requirement, _): requirement.rule
        case .deny(let denial): denial.rule
        case .hidden: PolicyDenial.Marker.hidden
        }
    }
}

/// The decision codes of design.md §5.3.
public enum DenialCode: String, Sendable, CaseIterable {
    case noPolicy = "no_policy"
    case defaultDeny = "default_deny"
    case requireFailed = "require_failed"
    case denyIf = "deny_if"
    case rateLimited = "rate_limited"
    case approvalPending = "approval_pending"
    case approvalDenied = "approval_denied"
    case approvalExpired = "approval_expired"
    case pinBlocked = "pin_blocked"
    case riskDenied = "risk_denied"
}

/// A denial: which code, which rule decided (a JSON Pointer or a marker), and the message the
/// model reads.
public struct PolicyDenial: Sendable, Equatable, Error {
    /// Rules that are not a place in the document (design.md §4).
    public enum Marker {
        public static let noPolicy = "(no policy)"
        public static let hidden = "(hidden)"
        public static let defaultDeny = "(default deny)"
        public static let risk = "(risk)"
        public static let pin = "(pin)"
    }

    public let code: DenialCode
    public let rule: String
    public let message: String
    /// Set for `rate_limited`: seconds until the exhausted window resets.
    public let retryAfterSeconds: Int?

    public init(code: DenialCode, rule: String, message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.rule = rule
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }
}
