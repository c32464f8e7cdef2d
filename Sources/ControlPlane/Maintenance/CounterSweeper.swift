import Logging
import ServiceLifecycle
import Shared

/// Deletes the `counters` rows of ended windows (issue 10 item 16): every session and grant leaves
/// rows behind, and the table would otherwise grow forever. Off the call path: the control plane
/// runs it every `interval`, in batches of `batchSize` rows so no statement holds many locks or runs
/// long, skipping rows a worker has locked. With several replicas each sweeps; they skip each
/// other's rows. A row is kept `grace` past its window's end, longer than any worker's allowed
/// clock skew (`PostgresCounterStore.maxClockSkew`), so no worker can still be counting into it.
struct CounterSweeper: Service {
    let database: Database
    var interval = Duration.seconds(60)
    var batchSize = 1000
    var grace = Duration.seconds(60)
    let logger: Logger

    func run() async throws {
        await repeatUntilShutdown(every: interval, firstRound: .immediately) { await sweep() }
    }

    /// Deletes ended windows batch by batch until none is left; returns how many rows went.
    @discardableResult
    func sweep() async -> Int {
        var deleted = 0
        while !Task.isCancelled {
            do {
                // Across accounts by design, like the snapshot reader and rediscovery.
                let batch = try await database.execute("""
                    DELETE FROM counters WHERE ctid = ANY (ARRAY(
                        SELECT ctid FROM counters
                        WHERE window_end < now() - \(Double(grace.components.seconds))::float8 * interval '1 second'
                        LIMIT \(batchSize) FOR UPDATE SKIP LOCKED))
                    """).affectedRows
                deleted += batch
                if batch < batchSize { break }
            } catch {
                logger.error("counter sweep failed", metadata: ["error": "\(String(reflecting: error))"])
                break
            }
        }
        if deleted > 0 { logger.debug("swept ended counter windows", metadata: ["counters.deleted": "\(deleted)"]) }
        return deleted
    }
}
