import Foundation
import Logging
import Shared
import TestSupport
@testable import Gateway
import JSON

/// A fresh spool folder under the temporary directory, removed after `body`.
func withSpoolFolder<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-spool-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

extension AuditEvent {
    /// A `tools/call` event with the awkward values: JSON numbers whose spelling jsonb would
    /// change, bytes, arrays, doubles, a time of a past month.
    static func sample(account: UUID, index: Int, monthsAgo: Int = 0) -> AuditEvent {
        let now = AuditEvent.microseconds(of: Date())
        var event = AuditEvent(
            id: UUID(), timeMicroseconds: now - Int64(monthsAgo) * 31 * 86_400_000_000 + Int64(index),
            accountID: account, decision: index % 3 == 0 ? "deny" : "allow", seq: 0)
        event.identityID = UUID()
        event.identityLabel = "alice-laptop"
        event.method = "tools/call"
        event.jsonrpcID = .number(JSONNumber(Int64(index)))
        event.tool = "create_issue"
        event.code = index % 3 == 0 ? "limit" : nil
        event.rule = "/tools/create_issue"
        event.sessionDigest = [0, 1, 2, 254, 255]
        event.argumentKeys = ["body", "title", "quote\"and\\slash"]
        event.argumentsHMAC = Array(repeating: 0xAB, count: 32)
        event.arguments = try? JSONValue.parse(#"{"title":"x","amount":1.50,"big":1E+2,"nested":[0.0, -0, "é"]}"#)
        event.policyVersion = 3
        event.snapshotVersion = 41
        event.upstreamStatus = 200
        event.gatewayLatencyMs = 0.1 + Double(index) / 7
        event.upstreamLatencyMs = 12
        event.bytesIn = 120
        event.bytesOut = 4_000
        event.workerID = "worker-test"
        event.unenforcedLimits = index % 2 == 0 ? ["/limits/0"] : nil
        return event
    }
}

/// One account's stored chain read the way `GET /v1/audit/verify` reads it
/// (`AuditEvent.storedColumns`), walked with `AuditChainWalk`.
struct StoredChain {
    var events: [AuditEvent] = []
    var brokenLink: AuditChainWalk.BrokenLink?
    var headSeq: Int64 = 0

    static func read(account: UUID, from database: Database) async throws -> StoredChain {
        let rows = try await database.query("""
            SELECT \(unsafeSQL: AuditEvent.storedColumns) FROM audit_events WHERE account_id = \(account) ORDER BY seq
            """)
        var chain = StoredChain()
        var walk = AuditChainWalk(keys: .forTests)
        for row in rows {
            let event = try AuditEvent(storedRow: row)
            chain.events.append(event)
            if chain.brokenLink == nil {
                chain.brokenLink = walk.check(
                    event, prevHash: try row.decode("prev_hash"), hash: try row.decode("hash"), keyVersion: try row.decode("chain_key_version"))
            }
        }
        chain.headSeq = try await database.query(
            "SELECT last_seq FROM audit_chain_heads WHERE account_id = \(account)"
        ).first?.decode("last_seq") ?? 0
        if chain.brokenLink == nil { chain.brokenLink = walk.finish(headSeq: chain.headSeq) }
        return chain
    }
}

func makeShipper(
    _ spool: AuditSpool, _ database: Database, batchSize: Int = 64, pollInterval: Duration = .milliseconds(20),
    markerInterval: Duration = .seconds(1), drainTimeout: Duration = .zero
) -> AuditShipper {
    AuditShipper(spool: spool, database: database, chainKeys: .forTests, metrics: GatewayMetrics(), batchSize: batchSize,
                 pollInterval: pollInterval, maxRetryDelay: .milliseconds(100), markerInterval: markerInterval,
                 drainTimeout: drainTimeout, logger: Logger(label: "audit-shipper-test"))
}

/// How many transactions stored `account`'s audit rows: the rows of one COPY share their `xmin`.
func auditTransactions(of account: UUID, in database: Database) async throws -> Int {
    try await database.query(
        "SELECT count(DISTINCT xmin::text) AS transactions FROM audit_events WHERE account_id = \(account)"
    ).first?.decode("transactions") ?? 0
}
