import Foundation

/// CPU time of processes, from `/proc/PID/stat` (Linux).
enum ProcessCPU {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// User plus system time of `pid` (all its threads) so far, in seconds; 0 if it is gone.
    @Sendable static func seconds(_ pid: pid_t) -> Double {
        guard let fields = statFields(pid), fields.count > 12,
              let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / ticksPerSecond
    }

    /// This process's own user plus system time, in seconds.
    static func ownSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// The processes whose parent is `pid` (nginx's workers under its master).
    static func children(of pid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(pid_t.init).filter { candidate in
            statFields(candidate).flatMap { $0.count > 1 ? pid_t($0[1]) : nil } == pid
        }
    }

    /// The fields after the command name, which may itself hold spaces and parentheses: field 3
    /// (state) is at index 0, so utime (field 14) is at 11 and stime (15) at 12.
    private static func statFields(_ pid: pid_t) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: end)...].split(separator: " ")
    }
}
