import Foundation
import Logging
import Shared
import TestSupport
import Testing

@testable import Gateway
import JSON

/// design.md §5.6 steps 1, 2 and 5 as a worker performs them against PostgreSQL.
@Suite(.timeLimit(.minutes(2)))
struct ApprovalStoreTests {
    static let keyRing = try! SecretKeyRing(parsing: "v1:" + Data(repeating: 7, count: 32).base64EncodedString())

    /// An account with one grant; returns the call key for `create-pod` with `arguments`.
    static func grantedCall(_ db: Database, arguments: JSONValue) async throws -> ApprovalCallKey {
        let row = try await db.query("""
            WITH account AS (INSERT INTO accounts (name, slug) VALUES ('Acme', \("acme-\(UInt32.random(in: 0...UInt32.max))")) RETURNING id),
                 identity AS (INSERT INTO identities (account_id, label) SELECT id, 'ci' FROM account RETURNING id, account_id),
                 server AS (INSERT INTO servers (account_id, name, url) SELECT id, 'runpod', 'https://mcp.example.com/mcp' FROM account RETURNING id)
            INSERT INTO grants (account_id, identity_id, server_id, token_hash)
            SELECT identity.account_id, identity.id, server.id, \((0..<32).map { _ in UInt8.random(in: 0...255) })
            FROM identity, server
            RETURNING account_id, id
            """).first!
        let fingerprint = ApprovalFingerprint(keyRing: keyRing)
        return ApprovalCallKey(
            account: try row.decode("account_id"), grant: try row.decode("id"), tool: "create-pod",
            argumentsHashes: fingerprint.hashes(tool: "create-pod", arguments: arguments))
    }

    static func decide(_ db: Database, _ id: UUID, _ status: String) async throws {
        try await db.execute("UPDATE approvals SET status = \(status), decided_at = now() WHERE id = \(id)")
    }

    @Test func fingerprintIgnoresKeyOrderButNotValuesToolsOrKeys() {
        let fingerprint = ApprovalFingerprint(keyRing: Self.keyRing)
        let a = fingerprint.hash(tool: "create-pod", arguments: ["gpuCount": 2, "name": "a"])
        #expect(a == fingerprint.hash(tool: "create-pod", arguments: ["name": "a", "gpuCount": 2]))
        #expect(a != fingerprint.hash(tool: "create-pod", arguments: ["name": "a", "gpuCount": 3]))
        #expect(a != fingerprint.hash(tool: "update-pod", arguments: ["name": "a", "gpuCount": 2]))
        let otherKey = try! SecretKeyRing(parsing: "v1:" + Data(repeating: 8, count: 32).base64EncodedString())
        #expect(a != ApprovalFingerprint(keyRing: otherKey).hash(tool: "create-pod", arguments: ["name": "a", "gpuCount": 2]))
    }

    @Test func identicalPendingRequestIsReusedAndADifferentCallGetsItsOwn() async throws {
        try await withTestDatabase { db, _ in
            let store = PostgresApprovalLedger(database: db)
            let key = try await Self.grantedCall(db, arguments: ["gpuCount": 2])
            let first = try await store.request(key, arguments: ["gpuCount": 2], rule: "/tools/create-pod/approval", timeout: .seconds(900))
            let again = try await store.request(key, arguments: ["gpuCount": 2], rule: "/tools/create-pod/approval", timeout: .seconds(900))
            #expect(first.isNew && !again.isNew)
            #expect(first.id == again.id)
            let other = ApprovalCallKey(account: key.account, grant: key.grant, tool: key.tool,
                                          argumentsHashes: ApprovalFingerprint(keyRing: Self.keyRing).hashes(tool: key.tool, arguments: ["gpuCount": 3]))
            let different = try await store.request(other, arguments: ["gpuCount": 3], rule: "/tools/create-pod/approval", timeout: .seconds(900))
            #expect(different.id != first.id)
            #expect(try await store.status(of: first.id) == .pending)
        }
    }

    @Test func anApprovedCallIsConsumedExactlyOnceAcrossManyWorkers() async throws {
        try await withTestDatabase(poolSize: 8) { db, conninfo in
            let key = try await Self.grantedCall(db, arguments: ["gpuCount": 2])
            let pending = try await PostgresApprovalLedger(database: db).request(key, arguments: nil, rule: "/r", timeout: .seconds(900))
            try await Self.decide(db, pending.id, "approved")
            let otherWorker = Database(conninfo: conninfo, poolSize: 8, logger: Logger(label: "worker-2"))
            let workers = [PostgresApprovalLedger(database: db), PostgresApprovalLedger(database: otherWorker)]
            let consumed = try await withThrowingTaskGroup(of: UUID?.self) { group in
                for attempt in 0..<40 { group.addTask { try await workers[attempt % 2].consumeApproved(key) } }
                return try await group.reduce(into: [UUID]()) { if let id = $1 { $0.append(id) } }
            }
            await otherWorker.close()
            #expect(consumed == [pending.id])
            #expect(try await workers[0].status(of: pending.id) == .consumed)
            // The next identical call needs a new approval.
            #expect(try await workers[0].consumeApproved(key) == nil)
        }
    }

    @Test func deniedExpiredAndPendingApprovalsAreNeverConsumed() async throws {
        try await withTestDatabase { db, _ in
            let store = PostgresApprovalLedger(database: db)
            let key = try await Self.grantedCall(db, arguments: ["gpuCount": 2])
            let pending = try await store.request(key, arguments: nil, rule: "/r", timeout: .seconds(900))
            #expect(try await store.consumeApproved(key) == nil)
            #expect(try await store.consume(pending.id) == false)
            try await Self.decide(db, pending.id, "denied")
            #expect(try await store.consumeApproved(key) == nil)
            #expect(try await store.status(of: pending.id) == .denied)
            // Approved, but past its expiry.
            let late = try await store.request(key, arguments: nil, rule: "/r", timeout: .seconds(900))
            try await db.execute("UPDATE approvals SET status = 'approved', decided_at = now(), requested_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = \(late.id)")
            #expect(try await store.consumeApproved(key) == nil)
            #expect(try await store.status(of: late.id) == .expired)
        }
    }

    @Test func anExpiredPendingRequestDoesNotBlockANewOne() async throws {
        try await withTestDatabase { db, _ in
            let store = PostgresApprovalLedger(database: db)
            let key = try await Self.grantedCall(db, arguments: ["gpuCount": 2])
            let old = try await store.request(key, arguments: nil, rule: "/r", timeout: .seconds(900))
            try await db.execute("UPDATE approvals SET requested_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = \(old.id)")
            #expect(try await store.status(of: old.id) == .expired)
            let fresh = try await store.request(key, arguments: nil, rule: "/r", timeout: .seconds(900))
            #expect(fresh.isNew && fresh.id != old.id)
            let stored = try await db.query("SELECT status FROM approvals WHERE id = \(old.id)").first!.decode("status", as: String.self)
            #expect(stored == "expired")
        }
    }
}
