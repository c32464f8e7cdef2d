import Foundation
import Logging
import Shared
import Testing

@testable import ControlPlane

/// The control plane keeps the audit partitions: the current and next month exist ahead of the
/// shippers, and months past `--audit-retention-months` are dropped with their chain anchors
/// recorded, unless a later month's events continue their chain.
@Suite(.timeLimit(.minutes(2)))
struct AuditPartitionMaintenanceTests {
    static let secondsPerMonth: Int64 = 30 * 86_400 + 36_000

    func maintenance(_ database: Database, retentionMonths: Int?) -> AuditPartitionMaintenance {
        AuditPartitionMaintenance(database: database, retentionMonths: retentionMonths, logger: Logger(label: "audit-partitions-test"))
    }

    func events(monthsAgo: Int64, count: Int, of caller: Caller) -> [AuditEvent] {
        (0..<count).map { AuditEvent.call("list-pods", decision: "allow", of: caller, secondsAgo: monthsAgo * Self.secondsPerMonth + 60 - Int64($0)) }
    }

    /// The partitions of past months, as a shipper would have created them.
    func ensurePartitions(for events: [AuditEvent], in database: Database) async throws {
        for event in events {
            try await database.execute("""
                SELECT portcullis_ensure_audit_partition((('epoch'::timestamptz + \(event.timeMicroseconds) * interval '1 microsecond') AT TIME ZONE 'UTC')::date)
                """)
        }
    }

    func partition(of event: AuditEvent, in database: Database) async throws -> String {
        try await database.query("""
            SELECT 'audit_events_' || to_char(('epoch'::timestamptz + \(event.timeMicroseconds) * interval '1 microsecond') AT TIME ZONE 'UTC', 'YYYY_MM') AS name
            """)[0].decode("name")
    }

    func exists(_ partition: String, in database: Database) async throws -> Bool {
        try await database.query("SELECT to_regclass(\("public." + partition)) IS NOT NULL AS present")[0].decode("present")
    }

    @Test func theNextMonthIsCreatedAheadAndMonthsPastRetentionAreDroppedWithTheirAnchorsSoTheChainStillVerifies() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let next = try await database.query("""
                SELECT 'audit_events_' || to_char((now() AT TIME ZONE 'UTC') + interval '1 month', 'YYYY_MM') AS name
                """)[0].decode("name", as: String.self)
            // As if the month had turned since the migration made it.
            try await database.execute(SQLQuery(unsafeSQL: "DROP TABLE \(next)"))

            let old = events(monthsAgo: 30, count: 3, of: admin)
            let middle = events(monthsAgo: 20, count: 2, of: admin)
            let recent = events(monthsAgo: 0, count: 2, of: admin)
            try await ensurePartitions(for: old + middle + recent, in: database)
            let fixtures = Fixtures(database: database)
            for batch in [old, middle, recent] { try await fixtures.ship(batch) }
            let dropped = [try await partition(of: old[0], in: database), try await partition(of: middle[0], in: database)]

            let outcome = try await maintenance(database, retentionMonths: 12).maintain()
            #expect(outcome.ensured.contains(next))
            #expect(try await exists(next, in: database))
            #expect(outcome.dropped == dropped)
            #expect(outcome.keptForTheChain.isEmpty)
            for name in dropped { #expect(try await !exists(name, in: database)) }
            let log = try await database.query("SELECT partition_name, row_count, reason FROM audit_retention_log ORDER BY id")
            #expect(try log.map { try $0.decode("partition_name", as: String.self) } == dropped)
            #expect(try log.map { try $0.decode("row_count", as: Int.self) } == [3, 2])
            #expect(try log.allSatisfy { try $0.decode("reason", as: String.self) == "retention: 12 months" })
            #expect(try await api.send(.get, "/v1/audit/verify", key: admin.key).json == ["ok": true, "checked": 2])

            // Nothing more to do on the next round; without retention nothing is dropped at all.
            #expect(try await maintenance(database, retentionMonths: 12).maintain().dropped.isEmpty)
            #expect(try await maintenance(database, retentionMonths: nil).maintain().dropped.isEmpty)
        }
    }

    @Test func aMonthPastRetentionIsKeptWhileALaterMonthsEventsComeBeforeItsLastOneInTheChain() async throws {
        try await withAPI { api, database in
            let admin = try await api.signup()
            let old = events(monthsAgo: 30, count: 2, of: admin)
            let middle = events(monthsAgo: 20, count: 2, of: admin)
            // Shipped after the middle month's events (a spool that waited), so chained after them.
            let late = events(monthsAgo: 30, count: 1, of: admin)
            let recent = events(monthsAgo: 0, count: 1, of: admin)
            try await ensurePartitions(for: old + middle + recent, in: database)
            let fixtures = Fixtures(database: database)
            for batch in [old, middle, late, recent] { try await fixtures.ship(batch) }
            let oldPartition = try await partition(of: old[0], in: database)
            let middlePartition = try await partition(of: middle[0], in: database)

            // Only the oldest month is past 25 months: dropping it alone would cut the middle month's links.
            let kept = try await maintenance(database, retentionMonths: 25).maintain()
            #expect(kept.dropped.isEmpty)
            #expect(kept.keptForTheChain == [oldPartition])
            #expect(try await exists(oldPartition, in: database))
            #expect(try await api.send(.get, "/v1/audit/verify", key: admin.key).json == ["ok": true, "checked": 6])

            // Past 12 months both go together, and the chain verifies from the anchor.
            let both = try await maintenance(database, retentionMonths: 12).maintain()
            #expect(both.dropped == [oldPartition, middlePartition])
            #expect(both.keptForTheChain.isEmpty)
            #expect(try await api.send(.get, "/v1/audit/verify", key: admin.key).json == ["ok": true, "checked": 1])
        }
    }
}
