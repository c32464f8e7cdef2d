import Foundation

/// Issue 11 "Measure", second item: per `tools/call` through a worker, its context switches and
/// CPU time (`perf stat -e context-switches,task-clock -p PID`, and the switches of
/// `/proc/PID/task/*/status` as a cross-check) and its system calls (`strace -c -f -p PID`, in a
/// window of its own since tracing slows the worker), at concurrency 1 and 32.
struct SyscallBenchmark {
    let options: Options

    struct Row {
        var path = ""
        var concurrency = 0
        var perfCalls = 0
        var contextSwitches: Double?
        var taskClockMilliseconds: Double?
        var procSwitches = 0
        var straceCalls = 0
        var syscalls: [(name: String, calls: Int)] = []
        var syscallTotal: Int?
    }

    func run() async throws {
        printHeading("Per-call cost: system calls, context switches, CPU")
        let durabilities = try AuditDurability.available()
        let stack = try await BenchmarkStack.start(spoolParent: options.spoolParent, tenants: [.echo, .limited], workers: durabilities.map(\.arguments))
        let generator = LoadGenerator(maxConnections: 64)
        var rows: [Row] = []
        do {
            let (perf, strace) = Self.tools()
            for (worker, durability) in zip(stack.workers, durabilities) {
                for (tenant, shape) in zip(stack.tenants, ["(a) no limit", "(b) limit in PostgreSQL"]) {
                    let target = CallTarget(
                        name: "gateway \(shape), \(durability.label)", url: stack.gatewayURL(for: tenant, on: worker.server),
                        headers: LoadGenerator.headers(bearer: tenant.grantToken), cpuProcesses: { [] })
                    try await stack.waitUntilServing(target, on: worker.server, generator: generator)
                    for concurrency in [1, 32] {
                        progress("per-call cost: \(target.name), concurrency \(concurrency)")
                        rows.append(try await measure(target, pid: worker.pid, concurrency: concurrency, generator: generator, perf: perf, strace: strace))
                    }
                }
            }
            report(rows)
        } catch {
            await generator.shutdown()
            await stack.stop()
            throw error
        }
        await generator.shutdown()
        await stack.stop()
    }

    /// perf, and strace with timeout, where installed (the report says what is missing).
    static func tools() -> (perf: String?, strace: (String, String)?) {
        let perf = ProcessTools.executable("perf"), strace = ProcessTools.executable("strace"), timeout = ProcessTools.executable("timeout")
        if perf == nil { print("perf is not installed (apt-get install linux-perf): context switches from /proc only.") }
        if strace == nil || timeout == nil { print("strace or timeout is missing (apt-get install strace coreutils): no system call counts.") }
        return (perf, strace.flatMap { s in timeout.map { (s, $0) } })
    }

    /// One cell: `target` loaded at `concurrency`, the process `pid` under perf, then under strace.
    func measure(
        _ target: CallTarget, pid: pid_t, concurrency: Int, generator: LoadGenerator, perf: String?, strace: (String, String)?
    ) async throws -> Row {
        var row = Row(path: target.name, concurrency: concurrency)
        let load = BackgroundLoad(generator, targets: [target], concurrency: concurrency)
        try await Task.sleep(for: .seconds(1))
        let window = options.windowSeconds
        var before = (load.answered, ProcessTools.contextSwitches(pid))
        if let perf {
            let output = try await ProcessTools.run([perf, "stat", "-e", "context-switches,task-clock", "-p", "\(pid)", "--", "sleep", "\(window)"])
            row.contextSwitches = Self.perfValue(output, "context-switches")
            row.taskClockMilliseconds = Self.perfValue(output, "task-clock")
            if row.contextSwitches == nil { print("perf stat gave no figures for \(target.name): \(output.suffix(500))") }
        } else {
            try await Task.sleep(for: .seconds(window))
        }
        row.perfCalls = load.answered - before.0
        row.procSwitches = ProcessTools.contextSwitches(pid) - before.1
        if let (strace, timeout) = strace {
            before = (load.answered, 0)
            // SIGHUP makes strace detach and print its summary. Children inherit the signal mask of
            // the thread that spawns them, and Dispatch's threads block SIGHUP: `env
            // --default-signal=HUP` unblocks it for strace. SIGKILL 10 s later if it has not ended.
            let output = try await ProcessTools.run([
                timeout, "-k", "10", "-s", "HUP", "\(window)", "/usr/bin/env", "--default-signal=HUP", strace, "-c", "-f", "-p", "\(pid)",
            ])
            row.straceCalls = load.answered - before.0
            (row.syscalls, row.syscallTotal) = Self.straceTable(output)
            if row.syscallTotal == nil { print("strace gave no summary for \(target.name): \(output.suffix(500))") }
        }
        let tally = await load.stop()
        if let failure = tally.firstFailure { print("\n\(tally.failed) calls failed; first: \(failure)") }
        return row
    }

    func report(_ rows: [Row]) {
        print("""

            Generator: GatewayBenchmarks (AsyncHTTPClient, callers back to back). Each cell: \(options.windowSeconds) s under \
            `perf stat -e context-switches,task-clock -p <worker>` (and the worker's `/proc/<pid>/task/*/status` switches over \
            the same window), then \(options.windowSeconds) s under `strace -c -f -p <worker>` (tracing slows the worker, \
            so its calls are counted apart). Per call = the counts over the calls answered in that window.

            | path | c | calls (perf window) | context switches per call (perf) | context switches per call (/proc) | proxy CPU µs per call (task-clock) | CPUs used | calls (strace window) | syscalls per call | top syscalls per call |
            |---|---:|---:|---:|---:|---:|---:|---:|---:|---|
            """)
        for row in rows {
            let calls = Double(max(row.perfCalls, 1))
            let switches = row.contextSwitches.map { String(format: "%.1f", $0 / calls) } ?? "-"
            let cpu = row.taskClockMilliseconds.map { String(format: "%.0f", $0 * 1000 / calls) } ?? "-"
            let cpus = row.taskClockMilliseconds.map { String(format: "%.2f", $0 / 1000 / Double(options.windowSeconds)) } ?? "-"
            let straceCalls = Double(max(row.straceCalls, 1))
            let syscalls = row.syscallTotal.map { String(format: "%.1f", Double($0) / straceCalls) } ?? "-"
            let top = row.syscalls.prefix(6).map { "\($0.name) \(String(format: "%.1f", Double($0.calls) / straceCalls))" }.joined(separator: ", ")
            print("| \(row.path) | \(row.concurrency) | \(row.perfCalls) | \(switches) | \(String(format: "%.1f", Double(row.procSwitches) / calls)) | \(cpu) | \(cpus) | \(row.straceCalls) | \(syscalls) | \(top) |")
        }
    }

    /// The first number on the line of `perf stat` output naming `event` ("1,234 context-switches",
    /// "2,345.67 msec task-clock").
    static func perfValue(_ output: String, _ event: String) -> Double? {
        for line in output.split(separator: "\n") where line.contains(event) {
            if let first = line.split(separator: " ").first, let value = Double(first.replacingOccurrences(of: ",", with: "")) { return value }
        }
        return nil
    }

    /// `strace -c` rows (`% time seconds usecs/call calls [errors] syscall`), most calls first, and
    /// its `total` row's calls.
    static func straceTable(_ output: String) -> ([(name: String, calls: Int)], Int?) {
        var rows: [(name: String, calls: Int)] = []
        var total: Int?
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 5, Double(fields[0]) != nil, let calls = Int(fields[3]), let name = fields.last else { continue }
            if name == "total" { total = calls } else { rows.append((String(name), calls)) }
        }
        return (rows.sorted { $0.calls > $1.calls }, total)
    }
}
