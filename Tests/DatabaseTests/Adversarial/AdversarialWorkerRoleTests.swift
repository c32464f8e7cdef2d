import Foundation
import Logging
import Shared
import TestSupport
import Testing

/// Issue 10 item 19: gateway workers connect as `portcullis_worker`, which may append audit rows
/// but cannot rewrite them, move a chain head at will, or touch the triggers that guard them.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialWorkerRoleTests {
    /// Runs `body` on a connection of the worker role to the test database.
    static func asWorker<T>(_ conninfo: String, _ body: (Database) async throws -> T) async throws -> T {
        let worker = Database(conninfo: conninfo + " user=portcullis_worker", poolSize: 1, logger: Logger(label: "test-worker"))
        do {
            let value = try await body(worker)
            await worker.close()
            return value
        } catch {
            await worker.close()
            throw error
        }
    }

    /// Appends one event as the shipper does: lock the head, insert, advance the head.
    static func append(_ worker: Database, account: UUID, hash: [UInt8]) async throws {
        try await worker.transaction { tx in
            let head = try await tx.query("SELECT last_seq, last_hash FROM portcullis_lock_audit_chain_head(\(account))")[0]
            let seq: Int64 = try head.decode("last_seq")
            let previous: [UInt8] = try head.decode("last_hash")
            try await tx.execute("""
                INSERT INTO audit_events (id, time, account_id, decision, seq, prev_hash, hash, chain_key_version)
                VALUES (gen_random_uuid(), now(), \(account), 'allow', \(seq + 1), \(previous), \(hash), 'v1')
                """)
            try await tx.execute("SELECT portcullis_advance_audit_chain_head(\(account), \(seq), \(previous), \(seq + 1), \(hash))")
        }
    }

    @Test func workerRoleAppendsAuditRowsThroughTheChainHeadFunctions() async throws {
        try await withTestDatabase { _, conninfo in
            let account = UUID()
            let head = try await Self.asWorker(conninfo) { worker in
                try await Self.append(worker, account: account, hash: Array(repeating: 1, count: 32))
                try await Self.append(worker, account: account, hash: Array(repeating: 2, count: 32))
                return try await worker.query("SELECT last_seq, last_hash FROM audit_chain_heads WHERE account_id = \(account)")[0]
            }
            #expect(try head.decode("last_seq", as: Int64.self) == 2)
            #expect(try head.decode("last_hash", as: [UInt8].self) == Array(repeating: 2, count: 32))
        }
    }

    @Test(arguments: [
        "UPDATE audit_events SET tool = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events",
        "UPDATE audit_chain_heads SET last_seq = 0", "DELETE FROM audit_chain_heads",
        "INSERT INTO audit_chain_heads (account_id, last_seq) VALUES (gen_random_uuid(), 5)",
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "ALTER TABLE audit_events ALTER COLUMN hash DROP NOT NULL",
        "CREATE OR REPLACE FUNCTION portcullis_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
        "UPDATE audit_dead_letters SET error = 'x'", "DELETE FROM audit_dead_letters",
        "SELECT portcullis_drop_audit_partition(date '2000-01-01')",
        "UPDATE grants SET revoked_at = NULL",
    ])
    func workerRoleCannotRewriteAuditRowsMoveChainHeadsOrTouchTriggers(statement: String) async throws {
        try await withTestDatabase { _, conninfo in
            let account = UUID()
            try await Self.asWorker(conninfo) { worker in
                try await Self.append(worker, account: account, hash: Array(repeating: 1, count: 32))
                let error = await #expect(throws: DatabaseError.self) { try await worker.execute(SQLQuery(unsafeSQL: statement)) }
                #expect(error?.sqlState == .insufficientPrivilege, "\(statement)")
                let head = try await worker.query("SELECT last_seq FROM audit_chain_heads WHERE account_id = \(account)")[0]
                #expect(try head.decode("last_seq", as: Int64.self) == 1)
            }
        }
    }

    @Test func chainHeadMovesOnlyForwardFromWhereItIsOverStoredEvents() async throws {
        try await withTestDatabase { _, conninfo in
            let account = UUID()
            try await Self.asWorker(conninfo) { worker in
                let first = [UInt8](repeating: 1, count: 32)
                try await Self.append(worker, account: account, hash: first)
                let attempts: [SQLQuery] = [
                    // Back to genesis, hiding the stored event.
                    "SELECT portcullis_advance_audit_chain_head(\(account), 1, \(first), 0, \([UInt8](repeating: 0, count: 32)))",
                    // From a link that is not the head.
                    "SELECT portcullis_advance_audit_chain_head(\(account), 0, \([UInt8](repeating: 0, count: 32)), 1, \(first))",
                    // Forward over events that are not stored.
                    "SELECT portcullis_advance_audit_chain_head(\(account), 1, \(first), 5, \([UInt8](repeating: 5, count: 32)))",
                ]
                for attempt in attempts {
                    let error = await #expect(throws: DatabaseError.self) {
                        try await worker.transaction { tx in
                            _ = try await tx.query("SELECT * FROM portcullis_lock_audit_chain_head(\(account))")
                            try await tx.execute(attempt)
                        }
                    }
                    #expect(error?.sqlState == .checkViolation)
                }
                let head = try await worker.query("SELECT last_seq FROM audit_chain_heads WHERE account_id = \(account)")[0]
                #expect(try head.decode("last_seq", as: Int64.self) == 1)
            }
        }
    }
}
