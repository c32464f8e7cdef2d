import Foundation
import JSON
import Shared

/// A member as the API shows it (never the password hash).
struct Member: Pageable {
    let id: UUID
    let email: String
    let role: MemberRole
    let createdAt: Date
    let updatedAt: Date

    static let columns = "id, email, role, created_at, updated_at"

    init(row: Row) throws {
        id = try row.decode("id")
        email = try row.decode("email")
        guard let role = MemberRole(rawValue: try row.decode("role")) else {
            throw DatabaseError(.malformedValue, detail: "unknown role")
        }
        self.role = role
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }

    var pageCursor: PageCursor { PageCursor(time: createdAt, id: id) }

    var json: JSONValue {
        [
            "id": .uuid(id), "email": .string(email), "role": .string(role.rawValue),
            "created_at": .timestamp(createdAt), "updated_at": .timestamp(updatedAt),
        ]
    }
}

/// The `members` table of one account.
struct MemberStore {
    let tx: TenantTransaction

    /// Throws 409 when the email is taken, in any account (emails are unique installation-wide,
    /// since login asks only for email and password).
    func create(email: String, passwordHash: String, role: MemberRole) async throws -> Member {
        do {
            let rows = try await tx.query("""
                INSERT INTO members (account_id, email, password_hash, role)
                VALUES (\(tx.account), \(email), \(passwordHash), \(role.rawValue))
                RETURNING \(unsafeSQL: Member.columns)
                """)
            return try Member(row: rows[0])
        } catch let error as DatabaseError where error.sqlState == .uniqueViolation {
            throw ProblemError.conflict("A member with this email already exists.")
        }
    }

    func find(_ id: UUID) async throws -> Member {
        let rows = try await tx.query("SELECT \(unsafeSQL: Member.columns) FROM members WHERE account_id = \(tx.account) AND id = \(id)")
        guard let row = rows.first else { throw ProblemError.notFound("Member") }
        return try Member(row: row)
    }

    func list(page: PageRequest) async throws -> Page<Member> {
        let keyset = Keyset(time: "created_at", id: "id", .oldestFirst)
        let rows = try await tx.query("""
            SELECT \(unsafeSQL: Member.columns) FROM members
            WHERE account_id = \(tx.account)
              AND \(keyset.after(page.after))
            ORDER BY \(keyset.ordering)
            LIMIT \(page.fetchLimit)
            """)
        return Page(rows: try rows.map(Member.init(row:)), request: page)
    }

    func update(_ id: UUID, role: MemberRole?, passwordHash: String?) async throws -> Member {
        let rows = try await tx.query("""
            UPDATE members SET role = coalesce(\(role?.rawValue), role),
                               password_hash = coalesce(\(passwordHash), password_hash),
                               updated_at = now()
            WHERE account_id = \(tx.account) AND id = \(id)
            RETURNING \(unsafeSQL: Member.columns)
            """)
        guard let row = rows.first else { throw ProblemError.notFound("Member") }
        return try Member(row: row)
    }

    func delete(_ id: UUID) async throws {
        try await tx.execute("DELETE FROM members WHERE account_id = \(tx.account) AND id = \(id)")
    }
}

extension MemberStore {
    /// Throws 409 unless an admin other than `memberID` remains. Locks the account's admins first,
    /// so two admins demoting or removing each other at once cannot both succeed and leave none.
    func ensureAnAdminRemains(without memberID: UUID) async throws {
        let admins: [UUID] = try await tx.query("""
            SELECT id FROM members WHERE account_id = \(tx.account) AND role = 'admin' ORDER BY id FOR UPDATE
            """).map { try $0.decode("id") }
        guard admins.contains(where: { $0 != memberID }) else {
            throw ProblemError.conflict("The account must keep at least one admin.")
        }
    }
}
