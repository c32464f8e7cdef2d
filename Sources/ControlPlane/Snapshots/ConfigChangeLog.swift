import Foundation
import Shared

/// Every configuration write records what it changed, inside its own transaction (design.md §6.1).
///
/// The transaction-level advisory lock is taken before the change number is drawn and held until
/// commit, so numbers become visible in the order they were drawn: a reader that sees change N
/// has seen every change below N, and a long-poll never skips one. `pg_notify` is delivered at
/// commit, waking long-polls on every control-plane replica.
enum ConfigChangeLog {
    static let advisoryLockKey: Int64 = 0x706F_7274_6366_67  // "portcfg"
    static let channel = "portcullis_config_changes"

    enum Operation: String { case upsert, delete }

    @discardableResult
    static func record(
        _ tx: DatabaseSession, account: UUID, kind: SnapshotEntityKind, id: UUID, _ operation: Operation
    ) async throws -> Int64 {
        try await tx.execute("SELECT pg_advisory_xact_lock(\(advisoryLockKey))")
        let change: Int64 = try await tx.query("""
            INSERT INTO config_changes (account_id, entity_kind, entity_id, op)
            VALUES (\(account), \(kind.rawValue), \(id), \(operation.rawValue))
            RETURNING change
            """).first!.decode("change")
        try await tx.execute("SELECT pg_notify(\(channel), \(String(change)))")
        return change
    }
}
