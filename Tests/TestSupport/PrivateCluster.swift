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
    private static func serverBinFolder() throws -> String {
        let root = "/usr/lib/postgresql"
        let majors = (try? FileManager.default.contentsOfDirectory(atPath: root))?.compactMap(Int.init).sorted() ?? []
        if let newest = majors.last { return "\(root)/\(newest)/bin" }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") {
            return String(folder)
        }
        throw ClusterError(message: "PostgreSQL server binaries (initdb, pg_ctl) not found: run `make test`, which installs them")
    }

    /// Runs a tool to completion with posix_spawn and waitpid. Foundation's `Process` is avoided:
    /// on Linux its `waitUntilExit` can miss the exit of a child whose own child (the server that
    /// pg_ctl forks) lives on. Output goes to a file, since the server would hold a pipe open.
    static func run(_ tool: String, _ arguments: [String], asPostgres: Bool = false) throws {
        let argv = asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", tool] + arguments : [tool] + arguments
        let outputPath = NSTemporaryDirectory() + "portcullis-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw ClusterError(message: "cannot start \(argv[0]): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED and WEXITSTATUS are macros Swift cannot import.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw ClusterError(message: "\(tool) failed (status \(status)): \(text)")
        }
    }

    struct ClusterError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
