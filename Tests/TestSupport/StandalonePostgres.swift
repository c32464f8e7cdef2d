import Foundation
import Logging
import Shared

/// One PostgreSQL server of its own on a loopback port, which a test may stop and start again
/// (the shared test cluster serves every other test and must stay up).
public struct StandalonePostgres: Sendable {
    public let folder: String
    public let port: Int
    private let bin: String
    private let asPostgres: Bool

    /// initdb, start, and a database `portcullis` (empty: no migrations).
    public static func start() async throws -> StandalonePostgres {
        let folder = "/tmp/portcullis-pg-\(UUID().uuidString.prefix(8))"
        let server = StandalonePostgres(
            folder: folder, port: try freeLoopbackPort(), bin: try PrivateCluster.serverBinFolder(), asPostgres: getuid() == 0)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if server.asPostgres { try ChildProcess.run(["/bin/chown", "postgres:postgres", folder]) }
        do {
            try server.tool("initdb", ["-D", "\(folder)/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
            try server.start()
        } catch {
            server.destroy()
            throw error
        }
        return server
    }

    public var conninfo: String { "host=127.0.0.1 port=\(port) dbname=postgres user=postgres" }

    public func start() throws {
        let options = "-c listen_addresses=127.0.0.1 -p \(port) -k \(folder) -c fsync=off -c full_page_writes=off"
        try tool("pg_ctl", ["-D", "\(folder)/data", "-l", "\(folder)/server.log", "-o", options, "-w", "start"])
    }

    /// `pg_ctl stop -m fast`: clients are disconnected, as in a restart or a failover.
    public func stop() throws {
        try tool("pg_ctl", ["-D", "\(folder)/data", "-m", "fast", "-w", "stop"])
    }

    public func destroy() {
        try? tool("pg_ctl", ["-D", "\(folder)/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func tool(_ name: String, _ arguments: [String]) throws {
        try PrivateCluster.run("\(bin)/\(name)", arguments, asPostgres: asPostgres)
    }
}
