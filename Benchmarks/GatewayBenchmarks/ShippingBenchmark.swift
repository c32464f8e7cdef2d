import Foundation
import Logging
import Shared
import TestSupport

/// `GatewayBenchmarks shipping`: how fast the gateway's audit shipper drains a spooled backlog
/// (issue 11 item 3, design.md §10: at least 20k events/s). The gateway answers `--events` worth of calls
/// while the benchmark holds the account's chain head locked, so every event waits in the spool;
/// then the lock goes and the shipper drains them. Reported: events/s from the lock's release to
/// the last row, the CPU per event of the gateway process and of the PostgreSQL backends, and the
/// same drain again while callers saturate the gateway.
struct ShippingBenchmark {
    struct Options {
        var events = 40_000
        var concurrency = 32
        var spoolParent = NSTemporaryDirectory()

        static let usage = """
            usage: GatewayBenchmarks shipping [--events N] [--concurrency N] [--spool-dir FOLDER]
              --events N       audit events to spool before draining (default 40000; a call makes
                               one or more, measured first)
              --concurrency N  callers producing the backlog (default 32)
              --spool-dir F    where the gateway's audit spool folder is made (default: the
                               temporary folder)
            """

        init(_ arguments: [String]) throws {
            var rest = arguments[...]
            func number() throws -> Int {
                guard let text = rest.popFirst(), let value = Int(text), value > 0 else { throw BenchmarkError(Self.usage) }
                return value
            }
            while let argument = rest.popFirst() {
                switch argument {
                case "--events": events = try number()
                case "--concurrency": concurrency = try number()
                case "--spool-dir":
                    guard let folder = rest.popFirst() else { throw BenchmarkError(Self.usage) }
                    spoolParent = folder
                default: throw BenchmarkError(Self.usage)
                }
            }
        }
    }

    let options: Options

    func run() async throws {
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        print("## Audit shipping benchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(load) at start\n")
        let stack = try await BenchmarkStack.start(spoolParent: options.spoolParent)
        let generator = LoadGenerator(maxConnections: options.concurrency * 2)
        let database = Database(conninfo: stack.databaseURL, poolSize: 2, logger: Logger(label: "shipping-benchmark"))
        do {
            try await measure(stack, generator: generator, database: database)
        } catch {
            await database.close()
            await generator.shutdown()
            await stack.stop()
            throw error
        }
        await database.close()
        await generator.shutdown()
        await stack.stop()
    }

    private func measure(_ stack: BenchmarkStack, generator: LoadGenerator, database: Database) async throws {
        let tenant = stack.tenants[0]
        let gatewayPID = stack.gateway.process.pid
        let target = CallTarget(
            name: "gateway", url: stack.gatewayURL(for: tenant), headers: LoadGenerator.headers(bearer: tenant.grantToken), cpuProcesses: { [gatewayPID] })
        try await stack.waitUntilServing(target, generator: generator)

        // Events per call, from 20 calls shipped as usual (this also creates the chain head row);
        // a second is far more than the shipper's poll interval.
        try await Task.sleep(for: .seconds(1))
        let first = try await shippedRows(database, atLeast: 1)
        for _ in 0..<20 { if let failure = await generator.call(target) { throw BenchmarkError("\(failure)") } }
        try await Task.sleep(for: .seconds(1))
        let before = try await shippedRows(database, atLeast: first + 20)
        let perCall = (before - first) / 20
        let calls = (options.events + perCall - 1) / perCall

        print("| phase | events | seconds | events/s | gateway CPU µs/event | PostgreSQL CPU µs/event | calls/s answered meanwhile |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        let alone = try await drainBacklog(of: calls, perCall: perCall, after: before, load: nil, target: target, generator: generator, database: database)
        print(String(
            format: "| drain alone | %d | %.2f | %.0f | %.1f | %.1f | – |", alone.events, alone.seconds, Double(alone.events) / alone.seconds,
            alone.gatewayCPU / Double(alone.events) * 1e6, alone.postgresCPU / Double(alone.events) * 1e6))
        // The load outlasts the drain (at most three times as long as alone); what it adds is shipped after the backlog.
        let loadDuration = Duration.milliseconds(Int(alone.seconds * 3_000) + 2_000)
        let loaded = try await drainBacklog(
            of: calls, perCall: perCall, after: alone.rowsAfter, load: loadDuration, target: target, generator: generator, database: database)
        print(String(
            format: "| drain beside saturating calls | %d | %.2f | %.0f | – | – | %.0f |", loaded.events, loaded.seconds,
            Double(loaded.events) / loaded.seconds, loaded.callsPerSecond))
        print("""

            (\(perCall) audit events per call. The backlog is spooled while the benchmark holds the chain head
            row locked; the time runs from the lock's release to the backlog's last row committed. Beside
            saturating calls, \(options.concurrency) callers call the gateway back to back from the release on,
            for three times the drain's time alone plus 2 s; the CPU of that phase is the calls' as much as the
            shipper's, so it is not split per event.)
            """)
    }

    private struct Drain {
        var events = 0
        var seconds = 0.0
        var gatewayCPU = 0.0
        var postgresCPU = 0.0
        var callsPerSecond = 0.0
        var rowsAfter = 0
    }

    /// Spools `calls` calls' events while the chain head is locked, then releases it and times
    /// the drain; with `load`, callers saturate the gateway for that long from the release on.
    private func drainBacklog(
        of calls: Int, perCall: Int, after before: Int, load: Duration?, target: CallTarget, generator: LoadGenerator, database: Database
    ) async throws -> Drain {
        let backlog = calls * perCall
        let release = AsyncStream<Void>.makeStream()
        let locked = AsyncStream<Void>.makeStream()
        var drain = Drain()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // The shipper's next transaction waits on this lock; the events pile up in the spool.
                try await database.transaction { session in
                    try await session.execute("SELECT 1 FROM audit_chain_heads FOR UPDATE")
                    locked.continuation.finish()
                    for await _ in release.stream {}
                }
            }
            for await _ in locked.stream {}
            progress("spooling \(backlog) events: \(calls) calls at concurrency \(options.concurrency)")
            try await produce(calls: calls, target: target, generator: generator)
            progress(load == nil ? "draining" : "draining beside saturating calls")
            let gatewayPID = target.cpuProcesses()[0]
            let cpuBefore = try await cpuSeconds(gatewayPID, database)
            let started = ContinuousClock.now
            release.continuation.finish()
            try await group.waitForAll()
            async let loadResult: LoadGenerator.SaturationResult? = {
                guard let load else { return nil }
                return await generator.saturate(target, concurrency: options.concurrency, duration: load)
            }()
            drain.rowsAfter = try await shippedRows(database, atLeast: before + backlog, within: .seconds(600))
            drain.seconds = (ContinuousClock.now - started).seconds
            let cpuAfter = try await cpuSeconds(gatewayPID, database)
            drain.events = backlog
            drain.gatewayCPU = cpuAfter.gateway - cpuBefore.gateway
            drain.postgresCPU = cpuAfter.postgres - cpuBefore.postgres
            if let result = await loadResult {
                drain.callsPerSecond = result.callsPerSecond
                if result.failures > 0 { progress("beside the drain: \(result.failures) calls failed, first: \(result.firstFailure.map(String.init(describing:)) ?? "?")") }
            }
        }
        // What the load added is shipped before the next phase counts its own backlog.
        try await Task.sleep(for: .seconds(2))
        return drain
    }

    /// `calls` calls by `options.concurrency` callers; every one must be answered correctly.
    private func produce(calls: Int, target: CallTarget, generator: LoadGenerator) async throws {
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<options.concurrency {
                group.addTask {
                    while await next.take(below: calls) {
                        if let failure = await generator.call(target) { throw BenchmarkError("\(failure)") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private actor Counter {
        var value = 0
        func take(below limit: Int) -> Bool {
            guard value < limit else { return false }
            value += 1
            return true
        }
    }

    /// The audit rows committed, once there are at least `count` (polled every 10 ms).
    private func shippedRows(_ database: Database, atLeast count: Int, within timeout: Duration = .seconds(60)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let rows: Int = try await database.query("SELECT count(*) AS rows FROM audit_events").first?.decode("rows") ?? 0
            if rows >= count { return rows }
            guard ContinuousClock.now < deadline else { throw BenchmarkError("only \(rows) of \(count) audit rows after \(timeout)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// CPU seconds so far of the gateway and of the PostgreSQL backends of this database (but this
    /// benchmark's own), read from /proc.
    private func cpuSeconds(_ gateway: pid_t, _ database: Database) async throws -> (gateway: Double, postgres: Double) {
        let backends = try await database.query("""
            SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            """).map { try $0.decode("pid", as: Int.self) }
        return (ProcessCPU.seconds(gateway), backends.map { ProcessCPU.seconds(pid_t($0)) }.reduce(0, +))
    }

    private func progress(_ message: String) {
        fflush(nil)
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }
}
