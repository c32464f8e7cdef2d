import Logging
import Shared

/// Opens a pool on a fresh, migrated database of the test cluster, runs `body`, closes the pool.
public func withTestDatabase<T>(
    suite: String = #fileID,
    poolSize: Int = 4,
    _ body: (Database, String) async throws -> T
) async throws -> T {
    let conninfo = try await TestPostgresCluster.shared.makeDatabase(for: String(suite.split(separator: "/").last ?? "suite").replacingOccurrences(of: ".swift", with: ""))
    let database = Database(conninfo: conninfo, poolSize: poolSize, logger: Logger(label: "test"))
    do {
        let value = try await body(database, conninfo)
        await database.close()
        return value
    } catch {
        await database.close()
        throw error
    }
}
