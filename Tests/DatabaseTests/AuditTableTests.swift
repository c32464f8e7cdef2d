import Foundation
import Shared
import TestSupport
import Testing

/// The audit log is append-only (design.md §7): the application role may only INSERT and SELECT, and a
/// trigger refuses UPDATE, DELETE and TRUNCATE even to the table owner.
@Suite(.timeLimit(.minutes(2)))
struct AuditTableTests {
    static func insertAccount(_ db: Database, slug: String) async throws -> UUID {
        try await db.query("INSERT INTO accounts (name, slug) VALUES (\(slug), \(slug)) RETURNING id").first!.decode("id")
    }

    /// Runs `body` in a transaction as `portcullis_app`, scoped to `account`.
    static func asApplication<T>(_ db: Database, account: UUID, _ body: (DatabaseSession) async throws -> T) async throws -> T {
        try await db.transaction { tx in
            try await tx.execute("SET LOCAL ROLE portcullis_app")
            try await tx.execute("SELECT set_config('portcullis.account_id', \(account.uuidString.lowercased()), true)")
            return try await body(tx)
        }
    }

    static func insertEvent(_ tx: DatabaseSession, account: UUID) async throws {
        try await tx.execute("""
            INSERT INTO audit_events (id, time, account_id, decision, seq, prev_hash, hash)
            VALUES (gen_random_uuid(), now(), \(account), 'allow', 1, \([UInt8](repeating: 0, count: 32)), sha256('event'))
            """)
    }

    @Test func applicationRoleMayInsertAndReadAuditRows() async throws {
        try await withTestDatabase { db, _ in
            let account = try await Self.insertAccount(db, slug: "acme")
            let count = try await Self.asApplication(db, account: account) { tx in
                try await Self.insertEvent(tx, account: account)
                return try await tx.query("SELECT count(*) AS n FROM audit_events").first!.decode("n", as: Int.self)
            }
            #expect(count == 1)
        }
    }

    @Test(arguments: ["UPDATE audit_events SET tool = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"])
    func applicationRoleIsRefusedChangesToAuditRows(statement: String) async throws {
        try await withTestDatabase { db, _ in
            let account = try await Self.insertAccount(db, slug: "acme")
            try await Self.asApplication(db, account: account) { try await Self.insertEvent($0, account: account) }
            let error = await #expect(throws: DatabaseError.self) {
                try await Self.asApplication(db, account: account) { try await $0.execute(SQLQuery(unsafeSQL: statement)) }
            }
            #expect(error?.sqlState == .insufficientPrivilege)
            let remaining = try await db.query("SELECT count(*) AS n, bool_and(tool IS NULL) AS untouched FROM audit_events").first!
            #expect(try remaining.decode("n", as: Int.self) == 1)
            #expect(try remaining.decode("untouched", as: Bool.self))
        }
    }

    @Test(arguments: ["UPDATE audit_events SET tool = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"])
    func triggerRefusesChangesToAuditRowsEvenForTheOwner(statement: String) async throws {
        try await withTestDatabase { db, _ in
            let account = try await Self.insertAccount(db, slug: "acme")
            try await Self.asApplication(db, account: account) { try await Self.insertEvent($0, account: account) }
            let error = await #expect(throws: DatabaseError.self) { try await db.execute(SQLQuery(unsafeSQL: statement)) }
            #expect(error?.debugDescription.contains("append-only") == true)
            #expect(try await db.query("SELECT count(*) AS n FROM audit_events").first!.decode("n", as: Int.self) == 1)
        }
    }

    @Test func rowLevelSecurityHidesAnotherAccountsRowsFromTheApplicationRole() async throws {
        try await withTestDatabase { db, _ in
            let acme = try await Self.insertAccount(db, slug: "acme")
            let globex = try await Self.insertAccount(db, slug: "globex")
            try await db.execute("INSERT INTO identities (account_id, label) VALUES (\(acme), 'acme-laptop'), (\(globex), 'globex-ci')")
            let visible = try await Self.asApplication(db, account: acme) { tx in
                try await tx.query("SELECT label FROM identities").map { try $0.decode("label", as: String.self) }
            }
            #expect(visible == ["acme-laptop"])
            let error = await #expect(throws: DatabaseError.self) {
                try await Self.asApplication(db, account: acme) { tx in
                    try await tx.execute("INSERT INTO identities (account_id, label) VALUES (\(globex), 'smuggled')")
                }
            }
            #expect(error?.sqlState == .insufficientPrivilege)
        }
    }
}
