import Shared

/// What the approval webhook needs to announce a new request (design.md §5.6 step 2).
struct ApprovalRequestNotice: Sendable {
    let account: SnapshotAccount?
    let pending: PendingApproval
    let key: ApprovalCallKey
    let caller: AuthenticatedGrant
    /// The rule that asked for the approval.
    let rule: String
}
