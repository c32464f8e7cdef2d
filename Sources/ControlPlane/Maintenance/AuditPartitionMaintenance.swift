import Logging
import ServiceLifecycle
import Shared

/// Keeps the monthly partitions of `audit_events` (design.md §7): creates the current and the
/// next month ahead, so a shipper never has to create the partition its events need, and with
/// `--audit-retention-months` drops the months past retention through
/// `portcullis_drop_audit_partition` (which records each month's chain anchors in
/// `audit_retention_log` first, so verification starts at the first surviving event).
///
/// The hash chain decides what may go: a month is dropped only together with every event that
/// comes before its last one in the chain. Events are chained when they are shipped, not when they
/// happened, so a spool shipped late (a worker down across a month's end) puts events of an old
/// month after events of a newer one; dropping the old month alone would leave surviving events
/// whose predecessors are gone, and the chain would break. Such a month is kept, and logged, until
/// the months holding those earlier links are past retention too.
///
/// Every replica runs it; a transaction-level advisory lock lets one drop at a time. The drop
/// detaches partitions, which locks `audit_events` until the transaction ends: shippers and audit
/// reads wait that long, once a month.
struct AuditPartitionMaintenance: Service {
    let database: Database
    /// Whole months kept before the current one; nil keeps every month.
    let retentionMonths: Int?
    var interval = Duration.seconds(3600)
    let logger: Logger

    /// What one round did, by partition name.
    struct Outcome: Equatable {
        var ensured: [String] = []
        var dropped: [String] = []
        /// Past retention, kept because later months continue their chain.
        var keptForTheChain: [String] = []
    }

    func run() async throws {
        await repeatUntilShutdown(every: interval, firstRound: .immediately) {
            do {
                try await maintain()
            } catch {
                logger.error("audit partition maintenance failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    @discardableResult
    func maintain() async throws -> Outcome {
        var outcome = Outcome()
        let ahead = try await database.query("""
            SELECT portcullis_ensure_audit_partition((now() AT TIME ZONE 'UTC')::date) AS current,
                   portcullis_ensure_audit_partition(((now() AT TIME ZONE 'UTC') + interval '1 month')::date) AS next
            """)
        outcome.ensured = [try ahead[0].decode("current"), try ahead[0].decode("next")]
        if let retentionMonths {
            (outcome.dropped, outcome.keptForTheChain) = try await dropMonths(pastRetention: retentionMonths)
        }
        if !outcome.dropped.isEmpty {
            logger.notice("dropped audit partitions past retention", metadata: ["audit.partitions": "\(outcome.dropped)"])
        }
        if !outcome.keptForTheChain.isEmpty {
            logger.warning("audit partitions past retention kept: later months continue their hash chain", metadata: [
                "audit.partitions": "\(outcome.keptForTheChain)",
            ])
        }
        return outcome
    }

    /// Drops the longest run of oldest months past retention that no later event precedes in the
    /// chain, in one transaction; returns what went and what stays.
    private func dropMonths(pastRetention months: Int) async throws -> (dropped: [String], kept: [String]) {
        try await database.transaction { tx in
            try await tx.execute("SELECT pg_advisory_xact_lock(hashtext('portcullis_audit_retention'))")
            let candidates = try await tx.query("""
                SELECT c.relname AS name, to_char(to_date(substr(c.relname, 14), 'YYYY_MM'), 'YYYY-MM-DD') AS month
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'public.audit_events'::regclass AND c.relname ~ '^audit_events_[0-9]{4}_[0-9]{2}$'
                  AND to_date(substr(c.relname, 14), 'YYYY_MM')
                      < (date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => \(months)::int))::date
                ORDER BY 2
                """).map { (name: try $0.decode("name", as: String.self), month: try $0.decode("month", as: String.self)) }
            // The newest month whose end no later event's link crosses: it and all before it may go.
            var droppable = 0
            for count in stride(from: candidates.count, to: 0, by: -1) {
                if try await chainContinuesAfter(monthOf: candidates[count - 1].month, in: tx) {
                    droppable = count
                    break
                }
            }
            let reason = "retention: \(months) months"
            for candidate in candidates.prefix(droppable) {
                try await tx.execute("SELECT portcullis_drop_audit_partition(\(candidate.month)::date, \(reason))")
            }
            return (candidates.prefix(droppable).map(\.name), candidates.dropFirst(droppable).map(\.name))
        }
    }

    /// Whether every account's events up to the end of `month` come before all of its later ones
    /// in the chain: then the anchors of the dropped months lead straight to the first survivor.
    private func chainContinuesAfter(monthOf month: String, in tx: DatabaseSession) async throws -> Bool {
        let end: SQLQuery = "(\(month)::date + interval '1 month')::timestamp AT TIME ZONE 'UTC'"
        return try await tx.query("""
            SELECT NOT EXISTS (
                SELECT 1 FROM (SELECT account_id, max(seq) AS last FROM audit_events WHERE time < \(end) GROUP BY account_id) dropped
                WHERE EXISTS (SELECT 1 FROM audit_events later
                              WHERE later.account_id = dropped.account_id AND later.seq <= dropped.last AND later.time >= \(end))
            ) AS continues
            """).first?.decode("continues") ?? false
    }
}
