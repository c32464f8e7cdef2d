import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Moves spooled audit events into PostgreSQL (SPEC 7), oldest first, and releases them from the
/// spool once committed. While PostgreSQL is unreachable the events stay in the spool and the
/// shipper retries with a growing pause; it never skips or reorders an event. An event PostgreSQL
/// refuses for itself goes to `audit_dead_letters` instead (issue 10 item 2, `AuditShipper+DeadLetters`).
actor AuditShipper: Service {
    let spool: AuditSpool
    let database: Database
    let chainKeys: AuditChainKeys
    let metrics: GatewayMetrics
    /// Events read and inserted per round; each account's share is one multi-row INSERT, well
    /// under PostgreSQL's 65535 bind parameters (36 per row).
    let batchSize: Int
    /// The pause after a round that did not fill a batch: at a steady trickle, events then gather
    /// for one multi-row insert instead of costing one transaction each.
    let pollInterval: Duration
    /// The longest pause between retries while PostgreSQL fails.
    let maxRetryDelay: Duration
    let logger: Logger
    /// Months whose partition is known to exist, so `portcullis_ensure_audit_partition` (which takes
    /// a global lock) runs once per month and process, not once per batch.
    private var ensuredMonths: Set<Int> = []

    init(
        spool: AuditSpool, database: Database, chainKeys: AuditChainKeys, metrics: GatewayMetrics, batchSize: Int = 500,
        pollInterval: Duration = .milliseconds(100), maxRetryDelay: Duration = .seconds(5), logger: Logger
    ) {
        self.spool = spool
        self.database = database
        self.chainKeys = chainKeys
        self.metrics = metrics
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.maxRetryDelay = maxRetryDelay
        self.logger = logger
    }

    /// Ships until graceful shutdown. Events appended after the last round stay in the spool and
    /// are shipped by the next process that opens it.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.shipContinuously()
        }
    }

    private func shipContinuously() async {
        var retryDelay = pollInterval
        while !Task.isCancelled {
            let pause: Duration
            do {
                let shipped = try await shipPending()
                retryDelay = pollInterval
                pause = shipped < batchSize ? pollInterval : .zero
            } catch {
                logger.warning("audit shipping failed; events stay in the spool", metadata: [
                    "audit.error": "\(error)", "audit.retry_in": "\(retryDelay)",
                ])
                pause = retryDelay
                retryDelay = min(retryDelay * 2, maxRetryDelay)
            }
            if pause > .zero {
                do { try await Task.sleep(for: pause) } catch { return }
            }
        }
    }

    /// Ships every event the spool holds synced right now; returns how many were read.
    @discardableResult
    func shipPending() async throws -> Int {
        var shipped = 0
        while true {
            let batch = try await spool.readSynced(from: await spool.shippedPosition, maxEvents: batchSize)
            guard !batch.events.isEmpty else { return shipped }
            try await insert(batch.events)
            try await spool.releaseShipped(upTo: batch.end)
            shipped += batch.events.count
        }
    }

    /// One transaction per account, in the order of the accounts' first events. If one account's
    /// transaction fails, the whole batch is read again later: the accounts already committed skip
    /// their events by id, so nothing is inserted or chained twice. If PostgreSQL refuses the
    /// account's rows themselves, they are shipped one by one and only the refused ones are
    /// dead-lettered, so one bad event never blocks the events behind it.
    private func insert(_ events: [AuditEvent]) async throws {
        try await ensurePartitions(for: events)
        var accounts: [UUID] = []
        var eventsByAccount: [UUID: [AuditEvent]] = [:]
        for event in events {
            if eventsByAccount[event.accountID] == nil { accounts.append(event.accountID) }
            eventsByAccount[event.accountID, default: []].append(event)
        }
        for account in accounts {
            try await shipOrDeadLetter(eventsByAccount[account]!, of: account)
        }
    }

    /// Nonisolated, so the transaction's body is not tied to the actor while the database runs it.
    static func ship(_ events: [AuditEvent], of account: UUID, keys: AuditChainKeys, to database: Database) async throws {
        try await database.transaction { session in
            try await chainAndInsert(events, of: account, keys: keys, in: session)
        }
    }

    private func ensurePartitions(for events: [AuditEvent]) async throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for event in events {
            let parts = calendar.dateComponents([.year, .month], from: event.time)
            guard let year = parts.year, let month = parts.month, !ensuredMonths.contains(year * 12 + month) else { continue }
            // Outside the shipping transactions: the function's lock is held only for this statement.
            try await database.execute("SELECT portcullis_ensure_audit_partition(make_date(\(year)::int, \(month)::int, 1))")
            ensuredMonths.insert(year * 12 + month)
        }
    }
}
