import Foundation
import PolicyEngine
import Shared

/// What judging a `tools/call` came to (`ToolCallJudge`).
enum ToolCallVerdict: Sendable {
    /// Allowed, counted and recorded: forward it.
    case forward(ToolCallPermit)
    /// The gateway answers (a denial result or the unknown-tool error); already recorded.
    case answer(JSONRPCResponse)
    /// A human must decide first (design.md §5.6 steps 3-4).
    case hold(HeldToolCall)
    /// The audit event could not be spooled: refuse with 503 (design.md §7).
    case unrecorded
}

/// What an allowed call carries to the upstream and back: the counters to give back if it fails
/// upstream, and the approval its `response` row names.
struct ToolCallPermit: Sendable {
    let call: ToolCall
    let reservations: [CounterReservation]
    let approvalID: UUID?
}

/// A call waiting for a human: its approval request is recorded, its counters are reserved only
/// once a human approves it (`ToolCallJudge.settle`).
struct HeldToolCall: Sendable {
    let call: ToolCall
    let pending: PendingApproval
    let requirement: ApprovalRequirement
    let counters: [CounterReservation]
}
