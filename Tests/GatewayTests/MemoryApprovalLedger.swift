import Foundation
import Shared
import Synchronization

@testable import Gateway
import JSON

/// The approval ledger in memory, behind the protocol `PostgresApprovalLedger` implements, for the
/// judge's in-process tests (issue 15 item 8). The same rules: an approval is consumed once, an
/// identical pending request is reused, an expired one no longer blocks a new one, at most
/// `requestsPerGrantPerMinute` new requests per grant per minute. A test decides with `decide`,
/// which wakes the holders as the control plane's NOTIFY does.
final class MemoryApprovalLedger: ApprovalLedger {
    struct Approval: Sendable {
        let key: ApprovalCallKey
        let arguments: JSONValue?
        let rule: String
        let requestedAt: Date
        let expiresAt: Date
        var status: ApprovalStatus = .pending
        var decidedAt: Date?
        var reason: String?

        func matches(_ other: ApprovalCallKey) -> Bool {
            key.grant == other.grant && key.tool == other.tool && other.argumentsHashes.contains(key.argumentsHash)
        }

        /// The status as a waiting worker reads it (`portcullis_approval_status`).
        func status(at now: Date) -> ApprovalStatus {
            (status == .pending || status == .approved) && expiresAt <= now ? .expired : status
        }
    }

    let watcher: ApprovalDecisionWatcher
    let requestsPerGrantPerMinute: Int
    private let approvals = Mutex<[UUID: Approval]>([:])

    init(watcher: ApprovalDecisionWatcher, requestsPerGrantPerMinute: Int = 10) {
        self.watcher = watcher
        self.requestsPerGrantPerMinute = requestsPerGrantPerMinute
    }

    /// Every request made so far, by id.
    var all: [UUID: Approval] { approvals.withLock { $0 } }

    /// A human's decision, as `POST /v1/approvals/{id}/approve|deny` makes it.
    func decide(_ id: UUID, approved: Bool, reason: String? = nil) {
        approvals.withLock { approvals in
            guard approvals[id]?.status == .pending else { return }
            approvals[id]?.status = approved ? .approved : .denied
            approvals[id]?.decidedAt = Date()
            approvals[id]?.reason = reason
        }
        watcher.decided(id)
    }

    func consumeApproved(_ key: ApprovalCallKey) async throws -> UUID? {
        let now = Date()
        return approvals.withLock { approvals in
            let candidate = approvals.filter { $0.value.matches(key) && $0.value.status(at: now) == .approved }
                .min { ($0.value.decidedAt ?? now) < ($1.value.decidedAt ?? now) }
            guard let id = candidate?.key else { return nil }
            approvals[id]?.status = .consumed
            return id
        }
    }

    func consume(_ id: UUID) async throws -> Bool {
        let now = Date()
        return approvals.withLock { approvals in
            guard approvals[id]?.status(at: now) == .approved else { return false }
            approvals[id]?.status = .consumed
            return true
        }
    }

    func request(_ key: ApprovalCallKey, arguments: JSONValue?, rule: String, timeout: Duration) async throws -> PendingApproval {
        let now = Date()
        return try approvals.withLock { approvals in
            for (id, approval) in approvals where approval.matches(key) && approval.status == .pending && approval.expiresAt <= now {
                approvals[id]?.status = .expired
            }
            if let existing = approvals.first(where: { $0.value.matches(key) && $0.value.status == .pending }) {
                return PendingApproval(id: existing.key, account: key.account, expiresAt: existing.value.expiresAt, isNew: false)
            }
            let recent = approvals.values.filter { $0.key.grant == key.grant && $0.requestedAt > now.addingTimeInterval(-60) }
            if recent.count >= requestsPerGrantPerMinute {
                let oldest = recent.map(\.requestedAt).min() ?? now
                throw ApprovalRequestRateExceeded(
                    limit: requestsPerGrantPerMinute, retryAfterSeconds: max(1, Int((oldest.addingTimeInterval(60).timeIntervalSince(now)).rounded(.up))))
            }
            let id = UUID()
            let expiresAt = now.addingTimeInterval(Double(timeout.components.seconds))
            approvals[id] = Approval(key: key, arguments: arguments, rule: rule, requestedAt: now, expiresAt: expiresAt)
            return PendingApproval(id: id, account: key.account, expiresAt: expiresAt, isNew: true)
        }
    }

    func giveBack(_ id: UUID) async throws {
        approvals.withLock { approvals in
            if approvals[id]?.status == .consumed { approvals[id]?.status = .approved }
        }
    }

    func status(of id: UUID) async throws -> ApprovalStatus? {
        let now = Date()
        return approvals.withLock { $0[id]?.status(at: now) }
    }

    func reason(of id: UUID) async throws -> String? {
        approvals.withLock { $0[id]?.reason }
    }
}
