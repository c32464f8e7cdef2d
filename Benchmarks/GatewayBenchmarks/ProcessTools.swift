import Foundation
import TestSupport

/// The Linux tools and `/proc` files the per-call cost benchmarks read a worker with.
enum ProcessTools {
    /// Runs a tool to its end without holding a thread of the cooperative pool (the load's
    /// callers need both of them); returns its output (standard output and error).
    static func run(_ argv: [String], timeout: Duration = .seconds(120)) async throws -> String {
        let child = try ChildProcess.spawn(argv)
        defer { child.removeOutput() }
        guard try await child.waitForExit(timeout: timeout) != nil else {
            child.signal(SIGKILL)
            _ = try? await child.waitForExit(timeout: .seconds(5))
            throw BenchmarkError("\(argv.joined(separator: " ")) did not end in \(timeout)")
        }
        return child.output
    }

    /// The first of `names` found in the usual folders, or nil (then that measurement is skipped
    /// and the report says why).
    static func executable(_ name: String) -> String? {
        ["/usr/bin", "/usr/sbin", "/bin", "/usr/local/bin"].map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Resident set size of `pid` in KiB (`VmRSS`), 0 if it is gone.
    static func residentKiB(_ pid: pid_t) -> Int {
        statusField("VmRSS", of: "/proc/\(pid)/status") ?? 0
    }

    /// Voluntary plus involuntary context switches of every thread of `pid` so far, from
    /// `/proc/PID/task/*/status` (a thread that has ended is no longer counted).
    static func contextSwitches(_ pid: pid_t) -> Int {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return threads.reduce(0) { total, thread in
            let path = "/proc/\(pid)/task/\(thread)/status"
            return total + (statusField("voluntary_ctxt_switches", of: path) ?? 0) + (statusField("nonvoluntary_ctxt_switches", of: path) ?? 0)
        }
    }

    private static func statusField(_ name: String, of path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            return Int(line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
}
