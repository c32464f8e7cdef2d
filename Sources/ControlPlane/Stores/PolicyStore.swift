import Foundation
import JSON
import Shared

/// A live policy at its current version (design.md §2).
struct Policy: Pageable {
    let id: UUID
    let name: String
    let description: String?
    let serverID: UUID?
    let version: Int
    let document: JSONValue
    let createdAt: Date
    let updatedAt: Date

    static let columns = """
        p.id, p.name, p.description, p.server_id, p.current_version, v.document, p.created_at, p.updated_at
        """

    init(row: Row) throws {
        id = try row.decode("id")
        name = try row.decode("name")
        description = try row.decode("description")
        serverID = try row.decode("server_id")
        version = try row.decode("current_version")
        document = try row.decode("document", as: JSONValue.self)
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }

    var pageCursor: PageCursor { PageCursor(time: createdAt, id: id) }

    var json: JSONValue {
        [
            "id": .uuid(id), "name": .string(name), "description": .string(description), "server_id": .uuid(serverID),
            "version": .number(JSONNumber(version)), "document": document,
            "created_at": .timestamp(createdAt), "updated_at": .timestamp(updatedAt),
        ]
    }
}

/// One immutable version of a policy.
struct PolicyVersion: JSONRepresentable {
    let version: Int
    let document: JSONValue
    let createdBy: UUID?
    let createdAt: Date

    init(row: Row) throws {
        version = try row.decode("version")
        document = try row.decode("document", as: JSONValue.self)
        createdBy = try row.decode("created_by")
        createdAt = try row.decode("created_at")
    }

    var json: JSONValue {
        ["version": .number(JSONNumber(version)), "document": document, "created_by": .uuid(createdBy), "created_at": .timestamp(createdAt)]
    }
}

/// The `policies` and `policy_versions` tables of one account. Versions are only ever added; a
/// deleted policy is only marked, so the versions audit rows name stay readable.
struct PolicyStore {
    let tx: TenantTransaction

    func create(name: String, description: String?, serverID: UUID?, document: JSONValue, by member: UUID) async throws -> Policy {
        let id: UUID = try await uniqueName {
            try await tx.query("""
                INSERT INTO policies (account_id, name, description, server_id, created_by)
                VALUES (\(tx.account), \(name), \(description), \(serverID), \(member))
                RETURNING id
                """)[0].decode("id")
        }
        try await addVersion(1, of: id, document: document, by: member)
        try await tx.recordChange(.policy, id: id, .upsert)
        return try await find(id)
    }

    /// Live policies only: a deleted one is 404 like one that never existed.
    func find(_ id: UUID) async throws -> Policy {
        let rows = try await tx.query("""
            SELECT \(unsafeSQL: Policy.columns)
            FROM policies p JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.current_version
            WHERE p.account_id = \(tx.account) AND p.id = \(id) AND p.deleted_at IS NULL
            """)
        guard let row = rows.first else { throw ProblemError.notFound("Policy") }
        return try Policy(row: row)
    }

    func list(page: PageRequest) async throws -> Page<Policy> {
        let keyset = Keyset(time: "p.created_at", id: "p.id", .oldestFirst)
        let rows = try await tx.query("""
            SELECT \(unsafeSQL: Policy.columns)
            FROM policies p JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.current_version
            WHERE p.account_id = \(tx.account) AND p.deleted_at IS NULL
              AND \(keyset.after(page.after))
            ORDER BY \(keyset.ordering)
            LIMIT \(page.fetchLimit)
            """)
        return Page(rows: try rows.map(Policy.init(row:)), request: page)
    }

    /// Adds the next version and makes it current. The row lock orders concurrent PUTs, so each
    /// gets its own version number instead of one failing on the primary key.
    func update(_ id: UUID, name: String?, description: PatchValue<String>, document: JSONValue, by member: UUID) async throws -> Policy {
        let rows = try await tx.query("""
            SELECT current_version FROM policies
            WHERE account_id = \(tx.account) AND id = \(id) AND deleted_at IS NULL FOR UPDATE
            """)
        guard let current: Int = try rows.first?.decode("current_version") else { throw ProblemError.notFound("Policy") }
        try await addVersion(current + 1, of: id, document: document, by: member)
        try await uniqueName {
            try await tx.execute("""
                UPDATE policies SET
                    current_version = \(current + 1),
                    name = coalesce(\(name), name),
                    description = CASE WHEN \(description.isSet) THEN \(description.newValue) ELSE description END,
                    updated_at = now()
                WHERE account_id = \(tx.account) AND id = \(id)
                """)
        }
        try await tx.recordChange(.policy, id: id, .upsert)
        return try await find(id)
    }

    func delete(_ id: UUID) async throws {
        let result = try await tx.execute("""
            UPDATE policies SET deleted_at = now(), updated_at = now()
            WHERE account_id = \(tx.account) AND id = \(id) AND deleted_at IS NULL
            """)
        guard result.affectedRows == 1 else { throw ProblemError.notFound("Policy") }
        try await tx.recordChange(.policy, id: id, .delete)
    }

    /// Newest first. Policies gain versions by hand, a few per day at most, so the list is whole.
    func versions(of id: UUID) async throws -> [PolicyVersion] {
        _ = try await find(id)
        return try await tx.query("""
            SELECT version, document, created_by, created_at FROM policy_versions
            WHERE account_id = \(tx.account) AND policy_id = \(id)
            ORDER BY version DESC
            """).map(PolicyVersion.init(row:))
    }

    private func addVersion(_ version: Int, of id: UUID, document: JSONValue, by member: UUID) async throws {
        try await tx.execute("""
            INSERT INTO policy_versions (policy_id, version, account_id, document, created_by)
            VALUES (\(id), \(version), \(tx.account), \(document), \(member))
            """)
    }

    private func uniqueName<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError where error.sqlState == .uniqueViolation {
            throw ProblemError.conflict("A policy with this name already exists.")
        }
    }
}
