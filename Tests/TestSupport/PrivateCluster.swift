import Foundation

/// Starts and stops a throwaway PostgreSQL cluster in a temporary folder.
enum PrivateCluster {
    /// Set once, read by the `atexit` handler (which cannot capture context).
    nonisolated(unsafe) private static var dataFolder: String?
    nonisolated(unsafe) private static var binFolder: String?

    static func start() throws -> String {
        let bin = try serverBinFolder()
        let folder = "/tmp/portcullis-test-pg-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let runAsPostgres = getuid() == 0
        if runAsPostgres { try run("/bin/chown", ["postgres:postgres", folder]) }
        try run("\(bin)/initdb", ["-D", "\(folder)/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], asPostgres: runAsPostgres)
        let serverOptions = "-c listen_addresses='' -k \(folder) -p 5432 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
        try run("\(bin)/pg_ctl", ["-D", "\(folder)/data", "-l", "\(folder)/server.log", "-o", serverOptions, "-w", "start"], asPostgres: runAsPostgres)
        dataFolder = folder
        binFolder = bin
        atexit {
            guard let folder = PrivateCluster.dataFolder, let bin = PrivateCluster.binFolder else { return }
            try? PrivateCluster.run("\(bin)/pg_ctl", ["-D", "\(folder)/data", "-m", "immediate", "-w", "stop"], asPostgres: getuid() == 0)
            try? FileManager.default.removeItem(atPath: folder)
        }
        return "host=\(folder) port=5432 user=postgres dbname=postgres"
    }

    /// Debian keeps the server binaries out of PATH, under /usr/lib/postgresql/<major>/bin.
    static func serverBinFolder() throws -> String {
        let root = "/usr/lib/postgresql"
        let majors = (try? FileManager.default.contentsOfDirectory(atPath: root))?.compactMap(Int.init).sorted() ?? []
        if let newest = majors.last { return "\(root)/\(newest)/bin" }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") {
            return String(folder)
        }
        throw ClusterError(message: "PostgreSQL server binaries (initdb, pg_ctl) not found: run `make test`, which installs them")
    }

    static func run(_ tool: String, _ arguments: [String], asPostgres: Bool = false) throws {
        try ChildProcess.run(asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", tool] + arguments : [tool] + arguments)
    }

    struct ClusterError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
