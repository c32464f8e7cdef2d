import Foundation
import JSON
import Logging
import PolicyEngine
import Shared

/// A `tools/call` that needs a human (design.md §5.6), carried out across workers: step 1 consumes an
/// approval already granted for exactly this call; step 2 creates the request (or reuses the
/// identical pending one); steps 3-4 hold the call until a human decides or the hold elapses.
struct ApprovalHold: Sendable {
    let ledger: any ApprovalLedger
    let watcher: ApprovalDecisionWatcher
    /// How often a held call shows the client it is alive (SSE comment, progress notification).
    let keepAliveInterval: Duration
    /// Bounds the calls an account has held at once (issue 10 item 26).
    let admission: AccountAdmission
    let logger: Logger

    /// Steps 1 and 2.
    enum Lookup: Sendable {
        /// An approval granted earlier for this exact call, now consumed: forward.
        case alreadyApproved(UUID)
        case pending(PendingApproval)
        /// No request could be made: the approval store cannot be reached (design.md §5.10), or the grant
        /// asked for too many approvals lately (issue 10 item 18). The call is denied clearly.
        case refused(PolicyDenial)
    }

    /// How a held call ended (step 4).
    enum Settlement: Sendable {
        case approved(UUID)
        case refused(PolicyDenial, approval: UUID)
    }

    /// `arguments` are the call's: the approver sees them masked as in the `redacted` audit mode,
    /// whatever the policy's audit mode, since a human cannot judge a call without them (issue 10
    /// item 18); secret-named members are blanked and credentials masked.
    func lookUpOrRequest(
        _ key: ApprovalCallKey, arguments: JSONValue, requirement: ApprovalRequirement
    ) async -> Lookup {
        do {
            if let approved = try await ledger.consumeApproved(key) { return .alreadyApproved(approved) }
            let pending = try await ledger.request(
                key, arguments: AuditedArguments(arguments, mode: .redacted).values, rule: requirement.rule,
                timeout: .seconds(requirement.timeoutSeconds))
            return .pending(pending)
        } catch let flood as ApprovalRequestRateExceeded {
            return .refused(PolicyDenial(
                code: .rateLimited, rule: requirement.rule,
                message: "Tool \"\(key.tool)\" needs a human approval, and this grant has asked for \(flood.limit) approvals in the last minute, the most allowed. Try again in \(flood.retryAfterSeconds)s.",
                retryAfterSeconds: flood.retryAfterSeconds))
        } catch let refused as DatabaseError where refused.sqlState == .programLimitExceeded {
            // The account's bound on pending approvals (issue 10 item 15): a decision, not an outage.
            return .refused(PolicyDenial(
                code: .approvalPending, rule: requirement.rule,
                message: "Tool \"\(key.tool)\" needs a human approval, and this account already has as many pending approvals as it may. Ask an approver to decide some first."))
        } catch {
            logger.warning("approval store unreachable", metadata: ["db.error": "\(error)"])
            return .refused(PolicyDenial(
                code: .approvalPending, rule: requirement.rule,
                message: "Tool \"\(key.tool)\" needs a human approval, which cannot be requested right now (approval store unavailable). Try again shortly."))
        }
    }

    /// Steps 3 and 4: waits for the decision of `pending` up to the rule's hold, calling `keepAlive`
    /// every `keepAliveInterval` meanwhile. Any worker's decision arrives through LISTEN/NOTIFY;
    /// the status is re-read after every wake-up, so a lost notification costs at most one interval,
    /// and a status that cannot be read (the database is failing over) is read again at the next.
    /// A call beyond its account's bound on held calls is not held: it is answered pending at once.
    func hold(
        _ pending: PendingApproval, requirement: ApprovalRequirement, keepAlive: () async throws -> Void
    ) async throws -> Settlement {
        try await admission.holding(pending.account) { try await waitForDecision(pending, requirement: requirement, keepAlive: keepAlive) }
            ?? .refused(pendingDenial(pending, requirement), approval: pending.id)
    }

    private func waitForDecision(
        _ pending: PendingApproval, requirement: ApprovalRequirement, keepAlive: () async throws -> Void
    ) async throws -> Settlement {
        let holdEnds = ContinuousClock.now + .seconds(requirement.holdSeconds)
        while true {
            // Register before reading, so a decision landing between the read and the wait still wakes us.
            let ticket = watcher.register(for: pending.id)
            let status: ApprovalStatus?
            do {
                status = try await ledger.status(of: pending.id)
            } catch {
                // Issue 13 item 5: an unreadable status is not a decision. A PostgreSQL failover or
                // short outage should not end the hold: the call goes on waiting and reads again at
                // the next wake-up (the watcher wakes every holder once it listens again), until
                // the hold ends as it would have.
                logger.warning("approval status unreadable; still holding", metadata: ["approval.id": "\(pending.id)", "db.error": "\(error)"])
                status = .pending
            }
            switch status {
            case .approved?:
                ticket.cancel()
                if (try? await ledger.consume(pending.id)) == true { return .approved(pending.id) }
                // Another holder of the identical call consumed it first: this one waits for a new approval.
                return .refused(pendingDenial(pending, requirement), approval: pending.id)
            case .denied?:
                ticket.cancel()
                let reason = try? await ledger.reason(of: pending.id)
                return .refused(PolicyDenial(
                    code: .approvalDenied, rule: requirement.rule,
                    message: requirement.onDeny ?? PolicyMessages.approvalDenied(approvalID: pending.id.uuidString.lowercased(), reason: reason ?? nil)),
                    approval: pending.id)
            case .expired?, .consumed?, nil:
                ticket.cancel()
                return .refused(PolicyDenial(
                    code: .approvalExpired, rule: requirement.rule,
                    message: PolicyMessages.approvalExpired(approvalID: pending.id.uuidString.lowercased())),
                    approval: pending.id)
            case .pending?:
                let remaining = holdEnds - ContinuousClock.now
                guard remaining > .zero else {
                    ticket.cancel()
                    return .refused(pendingDenial(pending, requirement), approval: pending.id)
                }
                if await !ticket.wait(timeout: min(remaining, keepAliveInterval)) {
                    try await keepAlive()
                }
            }
        }
    }

    /// Steps 3 and 4 for a client that does not read SSE: the call waits in silence, and a hold
    /// that cannot go on (the agent went away) ends as still pending.
    func settlement(of pending: PendingApproval, requirement: ApprovalRequirement) async -> Settlement {
        (try? await hold(pending, requirement: requirement) {}) ?? .refused(pendingDenial(pending, requirement), approval: pending.id)
    }

    /// Makes a consumed approval usable again: its call was not forwarded after all (issue 10 item 18).
    func giveBack(_ approval: UUID) async {
        do {
            try await ledger.giveBack(approval)
        } catch {
            logger.warning("consumed approval could not be given back", metadata: ["approval.id": "\(approval)", "db.error": "\(error)"])
        }
    }

    func pendingDenial(_ pending: PendingApproval, _ requirement: ApprovalRequirement) -> PolicyDenial {
        PolicyDenial(
            code: .approvalPending, rule: requirement.rule,
            message: PolicyMessages.approvalPending(
                approvalID: pending.id.uuidString.lowercased(),
                expiresInSeconds: max(0, Int(pending.expiresAt.timeIntervalSinceNow.rounded()))))
    }
}
