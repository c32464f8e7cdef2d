/// A member's role (design.md §2); an API key carries the role of its member.
enum MemberRole: String, Sendable, CaseIterable, JSONBodyValue {
    case admin
    case policyManager = "policy_manager"
    case viewer

    func allows(_ permission: Permission) -> Bool {
        switch (self, permission) {
        case (.admin, _): true
        case (.policyManager, .read), (.policyManager, .managePolicies), (.policyManager, .decideApprovals): true
        case (.viewer, .read): true
        default: false
        }
    }
}

/// What an endpoint needs from the caller's role (design.md §2).
enum Permission: Sendable {
    /// Read everything except secrets: every role.
    case read
    /// Create, edit and delete policies and attach them to grants: admin and policy_manager.
    case managePolicies
    /// Approve or deny a held tool call: admin and policy_manager.
    case decideApprovals
    /// Everything else that changes state (members, API keys of others, servers, identities,
    /// grants, account settings) and reading the admin audit log: admin only.
    case administer

    /// Completes "This needs ..." in a 403.
    var neededRole: String {
        switch self {
        case .read: "any role"
        case .managePolicies, .decideApprovals: "the admin or policy_manager role"
        case .administer: "the admin role"
        }
    }
}
