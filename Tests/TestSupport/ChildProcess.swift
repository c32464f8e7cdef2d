import Foundation

/// A child process started with posix_spawn. Foundation's `Process` is avoided: on Linux its
/// `waitUntilExit` can miss the exit of a child whose own child lives on (pg_ctl's server).
/// Output goes to a file, never a pipe, since a surviving grandchild would hold a pipe open.
public struct ChildProcess: Sendable {
    public let pid: pid_t
    public let outputPath: String

    public static func spawn(_ argv: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        let outputPath = NSTemporaryDirectory() + "portcullis-\(UUID().uuidString).out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The spawning thread (a test runner's, NIO's) may block signals, and a child inherits that
        // mask: pgbouncer, which does not reset it, then never saw SIGTERM. Children start unmasked.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        var cArguments = argv.map { strdup($0) } + [nil]
        var cEnvironment = merged.map { strdup("\($0)=\($1)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, &cArguments, &cEnvironment)
        guard spawned == 0 else { throw ChildProcessError("cannot start \(argv[0]): errno \(spawned)") }
        return ChildProcess(pid: pid, outputPath: outputPath)
    }

    /// Runs a tool to completion and returns its output; throws with the output when it fails.
    @discardableResult
    public static func run(_ argv: [String]) throws -> String {
        let child = try spawn(argv)
        defer { child.removeOutput() }
        let status = child.waitBlocking()
        guard status == .exited(0) else { throw ChildProcessError("\(argv[0]) ended with \(status): \(child.output)") }
        return child.output
    }

    public enum Status: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32), signalled(Int32)
        public var description: String {
            switch self {
            case .exited(let code): "exit code \(code)"
            case .signalled(let signal): "signal \(signal)"
            }
        }
    }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    public func removeOutput() { try? FileManager.default.removeItem(atPath: outputPath) }

    func waitBlocking() -> Status {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return Self.decode(status)
    }

    /// Waits without blocking a thread; nil if the process still runs after `timeout`. Looks at
    /// least once, so `timeout: .zero` asks "has it exited?" (it used to never look, and a process
    /// that died during start-up went unnoticed until `RunningServer`'s 30 s deadline).
    public func waitForExit(timeout: Duration) async throws -> Status? {
        let deadline = ContinuousClock.now + timeout
        while true {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return Self.decode(status) }
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // WIFEXITED, WEXITSTATUS and WTERMSIG are C macros Swift cannot import.
    private static func decode(_ status: Int32) -> Status {
        status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A loopback TCP port nobody listens on right now.
public func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw ChildProcessError("cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The folder holding the built products (`controlplane`, `gateway`) next to the test bundle.
public func builtProductsFolder() -> String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
}
