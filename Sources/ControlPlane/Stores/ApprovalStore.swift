import Foundation
import JSON
import Shared

/// An approval request (design.md §5.6) as the API shows it. `status` is effective: a pending or
/// approved request past its expiry reads as `expired` even before a sweep rewrites the row.
struct Approval: Pageable {
    let id: UUID
    let grantID: UUID
    let identityID: UUID?
    let serverID: UUID?
    let tool: String
    let status: String
    let argumentsHash: [UInt8]
    let arguments: JSONValue?
    let rule: String?
    let requestedAt: Date
    let expiresAt: Date
    let decidedAt: Date?
    let decidedBy: UUID?
    let reason: String?
    let consumedAt: Date?

    static let columns = """
        a.id, a.grant_id, g.identity_id, g.server_id, a.tool,
        portcullis_approval_status(a.status, a.expires_at) AS status,
        a.arguments_hash, a.arguments, a.rule, a.requested_at, a.expires_at, a.decided_at, a.decided_by, a.reason, a.consumed_at
        """
    static let from = "approvals a LEFT JOIN grants g ON g.account_id = a.account_id AND g.id = a.grant_id"

    init(row: Row) throws {
        id = try row.decode("id")
        grantID = try row.decode("grant_id")
        identityID = try row.decode("identity_id")
        serverID = try row.decode("server_id")
        tool = try row.decode("tool")
        status = try row.decode("status")
        argumentsHash = try row.decode("arguments_hash")
        arguments = try row.decode("arguments", as: JSONValue?.self)
        rule = try row.decode("rule")
        requestedAt = try row.decode("requested_at")
        expiresAt = try row.decode("expires_at")
        decidedAt = try row.decode("decided_at")
        decidedBy = try row.decode("decided_by")
        reason = try row.decode("reason")
        consumedAt = try row.decode("consumed_at")
    }

    var pageCursor: PageCursor { PageCursor(time: requestedAt, id: id) }

    var json: JSONValue {
        [
            "id": .uuid(id), "grant_id": .uuid(grantID), "identity_id": .uuid(identityID), "server_id": .uuid(serverID),
            "tool": .string(tool), "status": .string(status), "arguments_hash": .string(argumentsHash.lowercaseHex),
            "arguments": arguments ?? .null, "rule": .string(rule),
            "requested_at": .timestamp(requestedAt), "expires_at": .timestamp(expiresAt),
            "decided_at": .timestamp(decidedAt), "decided_by": .uuid(decidedBy), "reason": .string(reason),
            "consumed_at": .timestamp(consumedAt),
        ]
    }
}

/// The `approvals` of one account, decision side. Workers create and consume them.
struct ApprovalStore {
    /// Waiting workers LISTEN here; the payload is the approval id (design.md §5.6 step 3).
    static let channel = "portcullis_approvals"

    enum Status: String, CaseIterable, Sendable {
        case pending, approved, denied, expired, consumed
    }

    enum Verdict: String, Sendable {
        case approved, denied
    }

    let tx: TenantTransaction

    /// Newest first, optionally only those whose effective status is `status`.
    func list(status: Status?, page: PageRequest) async throws -> Page<Approval> {
        let keyset = Keyset(time: "requested_at", id: "id", .newestFirst)
        let rows = try await tx.query("""
            SELECT * FROM (
                SELECT \(unsafeSQL: Approval.columns) FROM \(unsafeSQL: Approval.from) WHERE a.account_id = \(tx.account)
            ) approval
            WHERE (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
              AND \(keyset.after(page.after))
            ORDER BY \(keyset.ordering)
            LIMIT \(page.fetchLimit)
            """)
        return Page(rows: try rows.map(Approval.init(row:)), request: page)
    }

    func find(_ id: UUID) async throws -> Approval {
        let rows = try await tx.query("SELECT \(unsafeSQL: Approval.columns) FROM \(unsafeSQL: Approval.from) WHERE a.account_id = \(tx.account) AND a.id = \(id)")
        guard let row = rows.first else { throw ProblemError.notFound("Approval") }
        return try Approval(row: row)
    }

    /// Decides a pending, unexpired request and wakes the workers holding the call, on commit.
    /// The status test in the UPDATE makes two concurrent decisions safe: the second finds nothing
    /// pending and gets 409.
    func decide(_ id: UUID, _ verdict: Verdict, reason: String?, by member: UUID) async throws -> Approval {
        let result = try await tx.execute("""
            UPDATE approvals SET status = \(verdict.rawValue), decided_at = now(), decided_by = \(member), reason = \(reason)
            WHERE account_id = \(tx.account) AND id = \(id) AND status = 'pending' AND expires_at > now()
            """)
        guard result.affectedRows == 1 else {
            let current = try await find(id)
            throw ProblemError.conflict("Only a pending approval can be decided; this one is \(current.status).")
        }
        try await tx.execute("SELECT pg_notify(\(Self.channel), \(id.uuidString.lowercased()))")
        return try await find(id)
    }
}
