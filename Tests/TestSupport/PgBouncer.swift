import Foundation
import Logging
import Shared

/// A PgBouncer (Debian's `pgbouncer`) in front of the server a conninfo names, running the
/// repository's `deploy/pgbouncer/pgbouncer.ini` with only the test's [databases] entry, loopback
/// port and trust authentication put over it (issue 13 item 5).
public struct PgBouncer: Sendable {
    public let process: ChildProcess
    public let port: Int
    private let folder: String

    static let binary = "/usr/sbin/pgbouncer"
    static let configuration = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/pgbouncer/pgbouncer.ini").path

    /// Starts PgBouncer for every database of the server `direct` connects to, for `users`, and
    /// waits until a query passes through it.
    public static func start(serving direct: String, users: [String]) async throws -> PgBouncer {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ChildProcessError("\(binary) not found: run deploy/scripts/install-deps.sh, which installs pgbouncer")
        }
        let server = Dictionary(try ConnectionString.settings(of: direct), uniquingKeysWith: { _, last in last })
        let folder = "/tmp/portcullis-pgbouncer-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        // Sections may appear again and a key set again wins, so the test's settings go after the file's.
        let overrides = """

            [databases]
            * = host=\(server["host"] ?? "localhost") port=\(server["port"] ?? "5432")

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            auth_type = trust
            auth_file = \(folder)/userlist.txt
            """
        let ini = try String(contentsOfFile: configuration, encoding: .utf8)
        try (ini + overrides + "\n").write(toFile: "\(folder)/pgbouncer.ini", atomically: true, encoding: .utf8)
        try users.map { "\"\($0)\" \"\"" }.joined(separator: "\n").appending("\n")
            .write(toFile: "\(folder)/userlist.txt", atomically: true, encoding: .utf8)
        // PgBouncer refuses to run as root; -u makes it switch to the server's user.
        let asUser = getuid() == 0 ? ["-u", "postgres"] : []
        let bouncer = PgBouncer(process: try ChildProcess.spawn([binary] + asUser + ["\(folder)/pgbouncer.ini"]), port: port, folder: folder)
        let probe = Database(conninfo: try bouncer.conninfo(for: direct), poolSize: 1, logger: Logger(label: "pgbouncer-probe"))
        defer { Task { await probe.close() } }
        for _ in 0..<100 {
            if try await bouncer.process.waitForExit(timeout: .zero) != nil {
                throw ChildProcessError("pgbouncer exited during start-up: \(bouncer.process.output)")
            }
            if (try? await probe.query("SELECT 1")) != nil { return bouncer }
            try await Task.sleep(for: .milliseconds(100))
        }
        bouncer.stop()
        throw ChildProcessError("pgbouncer did not pass a query in 10 s: \(bouncer.process.output)")
    }

    /// `direct` (its database and user) reached through PgBouncer instead.
    public func conninfo(for direct: String) throws -> String {
        try ConnectionString.replacing(["host": "127.0.0.1", "port": "\(port)"], in: direct)
    }

    /// SIGTERM (PgBouncer's immediate shutdown), and SIGKILL if it is still running 5 s later.
    public func stop() {
        process.signal(SIGTERM)
        var exited = false
        for _ in 0..<50 where !exited {
            exited = waitpid(process.pid, nil, WNOHANG) == process.pid
            if !exited { usleep(100_000) }
        }
        if !exited {
            process.signal(SIGKILL)
            _ = process.waitBlocking()
        }
        process.removeOutput()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
