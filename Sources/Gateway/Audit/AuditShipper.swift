import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Moves spooled audit events into PostgreSQL (design.md §7), oldest first, and releases them from the
/// spool once committed. While PostgreSQL is unreachable the events stay in the spool and the
/// shipper retries with a growing pause; it never skips or reorders an event. An event PostgreSQL
/// refuses for itself goes to `audit_dead_letters` instead (issue 10 item 2, `AuditShipper+DeadLetters`).
///
/// Cheap per event (issue 11 item 3): a batch is shipped when `batchSize` events are waiting or
/// `pollInterval` after the previous round started, whichever comes first, so a steady stream of
/// calls makes a few large COPYs instead of many small transactions. The spool's shipped marker
/// (a file write and two syncs) is rewritten at most every `markerInterval`, not per batch. A
/// crash in between ships the events since the last marker again; each account's transaction
/// skips the events it already stored by id before chaining, so a replay adds no row and no link.
actor AuditShipper: Service {
    let spool: AuditSpool
    let database: Database
    let chainKeys: AuditChainKeys
    let metrics: GatewayMetrics
    /// The most events read and shipped in one round (one COPY per account in it).
    let batchSize: Int
    /// The longest a round waits for its batch to fill: a round that found fewer than `batchSize`
    /// events starts the next one this long after its own start.
    let pollInterval: Duration
    /// The longest pause between retries while PostgreSQL fails.
    let maxRetryDelay: Duration
    /// How often the shipped marker is rewritten while shipping continuously; it bounds how many
    /// events a crash makes the next process read and skip again.
    let markerInterval: Duration
    /// How long graceful shutdown keeps shipping until the spool is empty (`--shutdown-drain-timeout`).
    let drainTimeout: Duration
    let logger: Logger
    /// Months whose partition is known to exist, so `portcullis_ensure_audit_partition` (which takes
    /// a global lock) runs once per month and process, not once per batch.
    private var ensuredMonths: Set<Int> = []
    private static let eventsPerRead = 256
    /// Where the next round reads: past every event committed so far, which the marker may not
    /// record yet. nil until the first round reads the spool's marker.
    private var committedPosition: AuditSpoolPosition?
    private var markerWrittenAt = ContinuousClock.now

    init(
        spool: AuditSpool, database: Database, chainKeys: AuditChainKeys, metrics: GatewayMetrics, batchSize: Int = 2000,
        pollInterval: Duration = .milliseconds(100), maxRetryDelay: Duration = .seconds(5), markerInterval: Duration = .seconds(1),
        drainTimeout: Duration = .zero, logger: Logger
    ) {
        self.spool = spool
        self.database = database
        self.chainKeys = chainKeys
        self.metrics = metrics
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.maxRetryDelay = maxRetryDelay
        self.markerInterval = markerInterval
        self.drainTimeout = drainTimeout
        self.logger = logger
    }

    /// Ships until graceful shutdown, then until the spool is empty or `drainTimeout` has passed,
    /// and records how far it got. What is left stays in the spool for the next process that opens it.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.shipContinuously()
        }
        await drain(within: drainTimeout)
        do {
            try await releaseCommitted()
        } catch {
            logger.warning("could not record the shipped audit position; the next start skips those events again", metadata: [
                "audit.error": "\(error)",
            ])
        }
    }

    private func shipContinuously() async {
        var retryDelay = pollInterval
        while !Task.isCancelled {
            let roundStart = ContinuousClock.now
            let pause: Duration
            do {
                let shipped = try await shipBatch()
                if ContinuousClock.now - markerWrittenAt >= markerInterval { try await releaseCommitted() }
                retryDelay = pollInterval
                pause = shipped < batchSize ? pollInterval - (ContinuousClock.now - roundStart) : .zero
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

    /// At graceful shutdown the HTTP server has stopped and answered its last calls before this runs
    /// (`buildApplication`), so no event arrives any more: shipping on until the spool is empty
    /// means a spool that does not outlive the process (a Kubernetes `emptyDir`) loses nothing on a
    /// rolling update, unless PostgreSQL stays unreachable for the whole `timeout`.
    private func drain(within timeout: Duration) async {
        guard timeout > .zero else { return }
        let deadline = ContinuousClock.now + timeout
        var retryDelay = pollInterval
        while true {
            let pause: Duration
            do {
                // Queued bytes first: once none are, a read that finds nothing means nothing is left.
                let queued = spool.queuedBytes
                let shipped = try await shipBatch()
                try await releaseCommitted()
                if shipped == 0, queued == 0 {
                    logger.info("audit spool drained at shutdown")
                    return
                }
                retryDelay = pollInterval
                pause = shipped == 0 ? pollInterval : .zero
            } catch {
                logger.warning("audit shipping failed during the shutdown drain; retrying", metadata: [
                    "audit.error": "\(error)", "audit.retry_in": "\(retryDelay)",
                ])
                pause = retryDelay
                retryDelay = min(retryDelay * 2, maxRetryDelay)
            }
            let left = deadline - .now
            guard left > .zero else {
                let spooledBytes = await spool.spooledBytes
                logger.warning("shutdown drain timeout passed; the rest of the audit spool waits for the next process that opens it", metadata: [
                    "audit.spool_bytes": "\(spooledBytes)", "audit.drain_timeout": "\(timeout)",
                ])
                return
            }
            if pause > .zero {
                do { try await Task.sleep(for: min(pause, left)) } catch { return }
            }
        }
    }

    /// Ships every event the spool holds synced right now and records it in the marker; returns
    /// how many were read.
    @discardableResult
    func shipPending() async throws -> Int {
        var shipped = 0
        while true {
            let count = try await shipBatch()
            shipped += count
            if count < batchSize { break }
        }
        try await releaseCommitted()
        return shipped
    }

    /// Reads up to `batchSize` events after the last committed ones and ships them; returns how
    /// many. Fewer than `batchSize` means the spool held no more.
    private func shipBatch() async throws -> Int {
        var start = committedPosition
        if start == nil { start = await spool.shippedPosition }
        var events: [AuditEvent] = []
        var end = start!
        // One read stops at a segment's end or after 1 MiB: read on until the batch is full. Reads
        // of at most `eventsPerRead`, because the spool decodes them inside its actor, where they
        // hold up the appends of the calls being answered.
        while events.count < batchSize {
            let read = try await spool.readSynced(from: end, maxEvents: min(Self.eventsPerRead, batchSize - events.count))
            guard !read.events.isEmpty else { break }
            events += read.events
            end = read.end
        }
        guard !events.isEmpty else { return 0 }
        try await insert(events)
        committedPosition = end
        return events.count
    }

    /// Writes the marker up to the committed events, so a restart does not read them again, and
    /// lets the spool delete the segments they filled.
    private func releaseCommitted() async throws {
        markerWrittenAt = .now
        guard let committedPosition, committedPosition != (await spool.shippedPosition) else { return }
        try await spool.releaseShipped(upTo: committedPosition)
        // Appends set the gauge too, but without traffic only this shows the backlog shrinking
        // (the spool-backlog alert of deploy/observability, issue 13 item 6).
        metrics.spoolBytes.record(await spool.spooledBytes)
    }

    /// One transaction per account, in the order of the accounts' first events. If one account's
    /// transaction fails, the whole batch is read again later: the accounts already committed skip
    /// their events by id, so nothing is inserted or chained twice. If PostgreSQL refuses the
    /// account's rows themselves, the refused ones are found and dead-lettered, so one bad event
    /// never blocks the events behind it.
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
        // Calendar arithmetic once per day the batch touches, not once per event.
        let microsecondsPerDay: Int64 = 86_400_000_000
        let days = Set(events.map { $0.timeMicroseconds >= 0 ? $0.timeMicroseconds / microsecondsPerDay
                                                             : ($0.timeMicroseconds + 1) / microsecondsPerDay - 1 })
        for day in days {
            let parts = calendar.dateComponents([.year, .month], from: Date(timeIntervalSince1970: Double(day) * 86_400))
            guard let year = parts.year, let month = parts.month, !ensuredMonths.contains(year * 12 + month) else { continue }
            // Outside the shipping transactions: the function's lock is held only for this statement.
            try await database.execute("SELECT portcullis_ensure_audit_partition(make_date(\(year)::int, \(month)::int, 1))")
            ensuredMonths.insert(year * 12 + month)
        }
    }
}
