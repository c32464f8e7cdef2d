import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Lists every server's tools again every `interval` (design.md §5.7: every 5 minutes), so a changed
/// definition (a rug pull) is caught even when no agent is using the server.
///
/// Servers discovered within the interval are skipped: with several control-plane replicas (or an
/// admin's `POST .../discover`) a server is not listed N times per interval. A failure is retried
/// next round by whichever replica gets there.
struct RediscoveryService: Service {
    let database: Database
    let discovery: ServerDiscovery
    let interval: Duration
    /// Servers contacted at once; each discovery is mostly waiting on the network.
    var concurrency = 8
    let logger: Logger

    func run() async throws {
        await repeatUntilShutdown(every: interval, firstRound: .afterInterval) { await rediscoverDueServers() }
    }

    func rediscoverDueServers() async {
        let due: [(account: UUID, server: UUID)]
        do {
            // Across accounts by design, like the snapshot reader: the work per server then runs in
            // that account's RLS-confined transactions.
            due = try await database.query("""
                SELECT account_id, id FROM servers
                WHERE last_discovered_at IS NULL
                   OR last_discovered_at < now() - \(Double(interval.components.seconds))::float8 * interval '1 second'
                ORDER BY last_discovered_at NULLS FIRST
                """).map { (try $0.decode("account_id"), try $0.decode("id")) }
        } catch {
            logger.error("cannot list servers to rediscover", metadata: ["error": "\(String(reflecting: error))"])
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for (index, target) in due.enumerated() {
                if index >= concurrency { await group.next() }
                group.addTask { await rediscover(target.server, account: target.account) }
            }
        }
    }

    private func rediscover(_ server: UUID, account: UUID) async {
        do {
            _ = try await discovery.discover(server: server, account: account, logger: logger)
        } catch {
            logger.error("rediscovery failed", metadata: ["server.id": "\(server)", "error": "\(String(reflecting: error))"])
        }
    }
}
