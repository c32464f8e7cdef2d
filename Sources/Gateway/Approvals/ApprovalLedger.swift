import Foundation
import JSON
import Shared

/// Where a worker finds, requests and consumes the approvals of calls a human must decide
/// (design.md §5.6): PostgreSQL, shared by every worker (`PostgresApprovalLedger`), or memory, for the
/// judge's in-process tests. `ApprovalHold` runs the steps on top of it. (The control plane's
/// `ApprovalStore` is the admin API's view of the same table.)
protocol ApprovalLedger: Sendable {
    /// Step 1: consumes an approved, unexpired, unconsumed approval for exactly this call, if
    /// there is one, exactly once across workers.
    func consumeApproved(_ key: ApprovalCallKey) async throws -> UUID?
    /// Consumes one approval the caller was waiting on, if it is approved and unexpired.
    func consume(_ id: UUID) async throws -> Bool
    /// Step 2: creates the pending request, or reuses the identical one still pending. Throws
    /// `ApprovalRequestRateExceeded` past the per-grant rate of new requests.
    func request(_ key: ApprovalCallKey, arguments: JSONValue?, rule: String, timeout: Duration) async throws -> PendingApproval
    /// Undoes `consumeApproved` or `consume` for a call that was then not forwarded.
    func giveBack(_ id: UUID) async throws
    /// The status with expiry applied: a pending or approved request past its expiry is expired.
    func status(of id: UUID) async throws -> ApprovalStatus?
    /// The reason a human gave when deciding, for the denial the agent reads.
    func reason(of id: UUID) async throws -> String?
}

/// Which call an approval is for.
struct ApprovalCallKey: Sendable {
    let account: UUID
    let grant: UUID
    let tool: String
    /// The arguments' fingerprint under every key of the ring, active first
    /// (`ApprovalFingerprint.hashes`): new requests carry the first, stored ones may carry any.
    let argumentsHashes: [[UInt8]]

    var argumentsHash: [UInt8] { argumentsHashes[0] }

    /// The candidates as one bind: the lookups read it as `arguments_hash IN (decoded list)`.
    var argumentsHashList: String { argumentsHashes.map(\.lowercaseHex).joined(separator: ",") }
}

struct PendingApproval: Sendable, Equatable {
    let id: UUID
    /// The account whose call it is: its held calls are bounded (`AccountAdmission.holding`).
    let account: UUID
    let expiresAt: Date
    /// False when an identical pending request already existed and is reused.
    let isNew: Bool
}

enum ApprovalStatus: String, Sendable {
    case pending, approved, denied, expired, consumed
}

/// Issue 10 item 18: at most so many new requests per grant in any minute, so one agent cannot
/// flood its approvers (or the table); reusing a pending one is free.
struct ApprovalRequestRateExceeded: Error {
    let limit: Int
    let retryAfterSeconds: Int
}
