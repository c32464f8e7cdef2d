import Foundation
import Logging
import Shared

/// A PostgreSQL primary and a streaming-replication standby on loopback TCP, each a private cluster
/// in a temporary folder, for the failover tests (issue 13 item 5). The standby is a
/// `pg_basebackup -R` copy of the primary; with `.synchronous` the primary names it in
/// `synchronous_standby_names`, so a commit returns only once the standby has flushed it.
/// Clients reach "whichever is primary" through `conninfo`, a libpq multi-host list with
/// `target_session_attrs=read-write`, as an operator's processes would.
public struct ReplicatedPostgres: Sendable {
    public enum Replication: Sendable {
        case synchronous, asynchronous
    }

    public enum Node: Sendable {
        case primary, standby
    }

    public let folder: String
    public let primaryPort: Int
    public let standbyPort: Int
    public let replication: Replication
    public static let database = "portcullis"
    /// The standby's `application_name`, as `synchronous_standby_names` names it.
    static let standbyName = "standby1"
    private let bin: String
    private let asPostgres: Bool

    /// Starts both servers, waits until the standby streams (and, synchronous, is the sync
    /// standby), and creates the `portcullis` database with every migration applied.
    public static func start(_ replication: Replication) async throws -> ReplicatedPostgres {
        let folder = "/tmp/portcullis-ha-\(UUID().uuidString.prefix(8))"
        let cluster = ReplicatedPostgres(
            folder: folder, primaryPort: try freeLoopbackPort(), standbyPort: try freeLoopbackPort(), replication: replication,
            bin: try PrivateCluster.serverBinFolder(), asPostgres: getuid() == 0)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if cluster.asPostgres { try ChildProcess.run(["/bin/chown", "postgres:postgres", folder]) }
        do {
            try cluster.tool("initdb", ["-D", cluster.dataFolder(.primary), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
            try cluster.startServer(.primary)
            try cluster.tool("pg_basebackup", [
                "-d", "host=127.0.0.1 port=\(cluster.primaryPort) user=postgres application_name=\(standbyName)",
                "-D", cluster.dataFolder(.standby), "-R", "-c", "fast", "-X", "stream", "--no-sync",
            ])
            try cluster.startServer(.standby)
            try await cluster.waitUntilStreaming()
            try await cluster.createMigratedDatabase()
        } catch {
            cluster.destroy()
            throw error
        }
        return cluster
    }

    /// Every node that may be primary, tried in order; libpq keeps the first that accepts writes.
    public func conninfo(user: String = "postgres") -> String {
        "host=127.0.0.1,127.0.0.1 port=\(primaryPort),\(standbyPort) dbname=\(Self.database) user=\(user) target_session_attrs=read-write"
    }

    /// One node alone (to read what reached it).
    public func conninfo(of node: Node, user: String = "postgres") -> String {
        "host=127.0.0.1 port=\(port(node)) dbname=\(Self.database) user=\(user)"
    }

    /// `pg_ctl stop` of one node: `fast` disconnects clients and, on a primary, first sends the
    /// standby every WAL record written; `immediate` is a crash.
    public func stop(_ node: Node, mode: String = "fast") throws {
        do {
            try tool("pg_ctl", ["-D", dataFolder(node), "-m", mode, "-w", "stop"])
        } catch {
            let log = (try? String(contentsOfFile: "\(dataFolder(node)).log", encoding: .utf8)) ?? ""
            throw PrivateCluster.ClusterError(message: "\(error)\nserver log:\n\(log.split(separator: "\n").suffix(40).joined(separator: "\n"))")
        }
    }

    public func start(_ node: Node) throws {
        try startServer(node)
    }

    /// Makes the standby the primary and waits until it accepts writes.
    public func promoteStandby() throws {
        try tool("pg_ctl", ["-D", dataFolder(.standby), "-w", "promote"])
    }

    /// Stops both servers at once and removes the folder.
    public func destroy() {
        for node in [Node.primary, .standby] { try? stop(node, mode: "immediate") }
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: set-up

    private func port(_ node: Node) -> Int { node == .primary ? primaryPort : standbyPort }

    private func dataFolder(_ node: Node) -> String { "\(folder)/\(node == .primary ? "primary" : "standby")" }

    private func startServer(_ node: Node) throws {
        // Only the original primary waits for a synchronous standby: after a promotion the new
        // primary runs alone, and a standby name there would make every commit wait forever.
        let synchronous = node == .primary && replication == .synchronous ? " -c synchronous_standby_names=\(Self.standbyName)" : ""
        let options = "-c listen_addresses=127.0.0.1 -p \(port(node)) -k \(folder) -c fsync=off -c full_page_writes=off"
            + " -c max_connections=100 -c wal_keep_size=64MB" + synchronous
        try tool("pg_ctl", ["-D", dataFolder(node), "-l", "\(dataFolder(node)).log", "-o", options, "-w", "start"])
    }

    private func waitUntilStreaming() async throws {
        let expected = replication == .synchronous ? "sync" : "async"
        let primary = Database(conninfo: "host=127.0.0.1 port=\(primaryPort) user=postgres dbname=postgres", poolSize: 1, logger: Logger(label: "ha-setup"))
        defer { Task { await primary.close() } }
        for _ in 0..<200 {
            let rows = try await primary.query("SELECT sync_state FROM pg_stat_replication WHERE application_name = \(Self.standbyName)")
            if try rows.first?.decode("sync_state", as: String.self) == expected { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw PrivateCluster.ClusterError(message: "the standby did not start streaming (\(expected)) in 10 s")
    }

    private func createMigratedDatabase() async throws {
        let admin = Database(conninfo: "host=127.0.0.1 port=\(primaryPort) user=postgres dbname=postgres", poolSize: 1, logger: Logger(label: "ha-setup"))
        try await admin.execute(SQLQuery(unsafeSQL: "CREATE DATABASE \(Self.database)"))
        await admin.close()
        let database = Database(conninfo: conninfo(of: .primary), poolSize: 1, logger: Logger(label: "ha-setup"))
        try await MigrationRunner(database: database, migrations: Migration.bundled()).apply(logger: Logger(label: "ha-setup"))
        await database.close()
    }

    private func tool(_ name: String, _ arguments: [String]) throws {
        try PrivateCluster.run("\(bin)/\(name)", arguments, asPostgres: asPostgres)
    }
}
