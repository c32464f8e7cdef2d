import Foundation
import JSON
import Shared

/// An identity (design.md §2): an agent or person that calls tools through grants.
struct Identity: Pageable {
    let id: UUID
    let label: String
    let description: String?
    let metadata: JSONValue
    let createdAt: Date
    let updatedAt: Date

    static let columns = "id, label, description, metadata, created_at, updated_at"

    init(row: Row) throws {
        id = try row.decode("id")
        label = try row.decode("label")
        description = try row.decode("description")
        metadata = try row.decode("metadata", as: JSONValue.self)
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }

    var pageCursor: PageCursor { PageCursor(time: createdAt, id: id) }

    var json: JSONValue {
        [
            "id": .uuid(id), "label": .string(label), "description": .string(description), "metadata": metadata,
            "created_at": .timestamp(createdAt), "updated_at": .timestamp(updatedAt),
        ]
    }
}

/// The `identities` table of one account.
struct IdentityStore {
    let tx: TenantTransaction

    struct Fields {
        var label: String?
        var description: PatchValue<String> = .unchanged
        var metadata: JSONObject?
    }

    func create(label: String, description: String?, metadata: JSONObject) async throws -> Identity {
        try await uniqueLabel {
            let rows = try await tx.query("""
                INSERT INTO identities (account_id, label, description, metadata)
                VALUES (\(tx.account), \(label), \(description), \(JSONValue.object(metadata)))
                RETURNING \(unsafeSQL: Identity.columns)
                """)
            let identity = try Identity(row: rows[0])
            try await tx.recordChange(.identity, id: identity.id, .upsert)
            return identity
        }
    }

    func find(_ id: UUID) async throws -> Identity {
        let rows = try await tx.query("SELECT \(unsafeSQL: Identity.columns) FROM identities WHERE account_id = \(tx.account) AND id = \(id)")
        guard let row = rows.first else { throw ProblemError.notFound("Identity") }
        return try Identity(row: row)
    }

    func list(page: PageRequest) async throws -> Page<Identity> {
        let keyset = Keyset(time: "created_at", id: "id", .oldestFirst)
        let rows = try await tx.query("""
            SELECT \(unsafeSQL: Identity.columns) FROM identities
            WHERE account_id = \(tx.account)
              AND \(keyset.after(page.after))
            ORDER BY \(keyset.ordering)
            LIMIT \(page.fetchLimit)
            """)
        return Page(rows: try rows.map(Identity.init(row:)), request: page)
    }

    func update(_ id: UUID, _ fields: Fields) async throws -> Identity {
        try await uniqueLabel {
            let rows = try await tx.query("""
                UPDATE identities SET
                    label = coalesce(\(fields.label), label),
                    description = CASE WHEN \(fields.description.isSet) THEN \(fields.description.newValue) ELSE description END,
                    metadata = coalesce(\(fields.metadata.map(JSONValue.object)), metadata),
                    updated_at = now()
                WHERE account_id = \(tx.account) AND id = \(id)
                RETURNING \(unsafeSQL: Identity.columns)
                """)
            guard let row = rows.first else { throw ProblemError.notFound("Identity") }
            try await tx.recordChange(.identity, id: id, .upsert)
            return try Identity(row: row)
        }
    }

    /// Deletes the identity with its own upstream credentials (the schema cascades), which are
    /// logged as deleted so workers drop them too.
    func delete(_ id: UUID) async throws {
        let credentials = try await IdentityCredentialStore(tx: tx).ids(identity: id)
        let result = try await tx.execute("DELETE FROM identities WHERE account_id = \(tx.account) AND id = \(id)")
        guard result.affectedRows == 1 else { throw ProblemError.notFound("Identity") }
        try await tx.recordChange(.identity, id: id, .delete)
        for credential in credentials { try await tx.recordChange(.identityCredential, id: credential, .delete) }
    }

    private func uniqueLabel<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError where error.sqlState == .uniqueViolation {
            throw ProblemError.conflict("An identity with this label already exists.")
        }
    }
}
