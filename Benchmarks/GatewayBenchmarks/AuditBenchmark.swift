import Foundation
import Logging
import Shared

/// Issue 11 "Measure", fourth item (design.md §10: ≥ 20k events/s shipped to PostgreSQL, 0 lost under
/// `kill -9`). Per audit durability: the rows PostgreSQL gains while saturating calls run and
/// while the spool drains after them; the shipper's capacity, on a backlog spooled while the
/// database was out of reach; then calls with their own JSON-RPC ids, the worker killed with
/// SIGKILL among them, restarted on the same spool, and every answered call looked up.
struct AuditBenchmark {
    let options: Options

    struct Shipping {
        var label = ""
        var calls = 0
        var loadSeconds = 0.0
        var shippedDuringLoad = 0
        var backlogAtEnd = 0
        var drainSeconds = 0.0
        var drained = 0
    }

    /// Shipping a backlog: spooled by a worker that could not reach PostgreSQL, shipped by its
    /// restart while calls go on, then alone.
    struct Capacity {
        var label = ""
        var backlog = 0
        var callsUnderLoad = 0
        var loadSeconds = 0.0
        var shippedUnderLoad = 0
        var drained = 0
        var drainSeconds = 0.0
        var leftAtEndOfLoad: Int { max(0, backlog + 2 * callsUnderLoad - shippedUnderLoad) }
    }

    struct KillCheck {
        var label = ""
        var answered = 0
        var requestRows = 0
        var missingRequest = 0
        var missingResponse = 0
        var firstMissing: String?
    }

    func run() async throws {
        printHeading("Audit shipping under load, and kill -9")
        let durabilities = try AuditDurability.available()
        let stack = try await BenchmarkStack.start(spoolParent: options.spoolParent, workers: durabilities.map(\.arguments))
        let database = Database(conninfo: stack.databaseURL, poolSize: 1, logger: Logger(label: "bench"))
        let generator = LoadGenerator(maxConnections: options.concurrency * 2)
        do {
            let tenant = stack.tenants[0]
            var shipping: [Shipping] = []
            var kills: [KillCheck] = []
            var capacities: [Capacity] = []
            for (worker, durability) in zip(stack.workers, durabilities) {
                let target = CallTarget(
                    name: "gateway", url: stack.gatewayURL(for: tenant, on: worker.server),
                    headers: LoadGenerator.headers(bearer: tenant.grantToken), cpuProcesses: { [] })
                try await stack.waitUntilServing(target, on: worker.server, generator: generator)
                progress("audit: shipping under load, \(durability.label)")
                var result = try await ship(target, database: database, generator: generator)
                result.label = durability.label
                shipping.append(result)
                progress("audit: shipping a backlog, \(durability.label)")
                var capacity = try await shipBacklog(durability, stack: stack, database: database, generator: generator)
                capacity.label = durability.label
                capacities.append(capacity)
                progress("audit: kill -9, \(durability.label)")
                var check = try await killAndCount(worker, target: target, stack: stack, database: database, generator: generator, prefix: "kill\(kills.count)")
                check.label = durability.label
                kills.append(check)
            }
            report(shipping, capacities, kills)
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

    private func rows(_ database: Database) async throws -> Int {
        Int(try await database.query("SELECT count(*)::bigint AS n FROM audit_events")[0].decode("n", as: Int64.self))
    }

    /// `--seconds` of saturating calls; then waits until the row count stops moving for 2 s.
    private func ship(_ target: CallTarget, database: Database, generator: LoadGenerator) async throws -> Shipping {
        try await waitUntilStable(database)
        var result = Shipping()
        let before = try await rows(database)
        let started = ContinuousClock.now
        let load = BackgroundLoad(generator, targets: [target], concurrency: options.concurrency)
        try await Task.sleep(for: .seconds(options.seconds))
        let tally = await load.stop()
        result.loadSeconds = (ContinuousClock.now - started).seconds
        result.calls = tally.answered
        let atEnd = try await rows(database)
        result.shippedDuringLoad = atEnd - before
        // Two events per call: the request before forwarding, the response after.
        result.backlogAtEnd = max(0, 2 * (tally.answered + tally.failed) - result.shippedDuringLoad)
        let drainStarted = ContinuousClock.now
        let final = try await waitUntilStable(database)
        result.drained = final.rows - atEnd
        result.drainSeconds = max(0, (final.lastChange - drainStarted).seconds)
        return result
    }

    /// Polls the row count until it has not changed for 2 s (at most 3 minutes); returns it and
    /// when it last changed.
    @discardableResult
    private func waitUntilStable(_ database: Database) async throws -> (rows: Int, lastChange: ContinuousClock.Instant) {
        var last = try await rows(database)
        var lastChange = ContinuousClock.now
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now - lastChange < .seconds(2), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            let now = try await rows(database)
            if now != last { (last, lastChange) = (now, ContinuousClock.now) }
        }
        return (last, lastChange)
    }

    /// A worker whose database is out of reach spools `--seconds` of saturating calls and stops;
    /// restarted on that spool with the database, it ships while `--seconds` of calls go on, then
    /// alone until the count stops moving.
    private func shipBacklog(_ durability: AuditDurability, stack: BenchmarkStack, database: Database, generator: LoadGenerator) async throws -> Capacity {
        let tenant = stack.tenants[0]
        func target(_ worker: GatewayWorker) -> CallTarget {
            CallTarget(name: "gateway", url: stack.gatewayURL(for: tenant, on: worker.server), headers: LoadGenerator.headers(bearer: tenant.grantToken), cpuProcesses: { [] })
        }
        // The later --database-url wins; the no-limit call needs no database, so only the shipper waits.
        let cut = try await stack.launcher.start(durability.arguments + ["--database-url", "host=127.0.0.1 port=1 dbname=none connect_timeout=1"])
        try await stack.waitUntilServing(target(cut), on: cut.server, generator: generator)
        let spooling = BackgroundLoad(generator, targets: [target(cut)], concurrency: options.concurrency)
        try await Task.sleep(for: .seconds(options.seconds))
        var capacity = Capacity(backlog: 2 * (await spooling.stop()).answered)
        cut.server.process.signal(SIGTERM)
        if try await cut.server.process.waitForExit(timeout: .seconds(15)) == nil { cut.server.process.signal(SIGKILL) }

        let restarted = try await stack.launcher.start(durability.arguments, spoolFolder: cut.spoolFolder)
        try await stack.waitUntilServing(target(restarted), on: restarted.server, generator: generator)
        let before = try await rows(database)
        let started = ContinuousClock.now
        let load = BackgroundLoad(generator, targets: [target(restarted)], concurrency: options.concurrency)
        try await Task.sleep(for: .seconds(options.seconds))
        capacity.callsUnderLoad = (await load.stop()).answered
        capacity.loadSeconds = (ContinuousClock.now - started).seconds
        let atEnd = try await rows(database)
        capacity.shippedUnderLoad = atEnd - before
        let drainStarted = ContinuousClock.now
        let final = try await waitUntilStable(database)
        capacity.drained = final.rows - atEnd
        capacity.drainSeconds = max(0, (final.lastChange - drainStarted).seconds)
        return capacity
    }

    /// Calls with their own ids, SIGKILL of the worker after `--kill-after` seconds, a restart on
    /// the same spool, then every answered call's rows looked up once the shipping has settled.
    private func killAndCount(
        _ worker: GatewayWorker, target: CallTarget, stack: BenchmarkStack, database: Database, generator: LoadGenerator, prefix: String
    ) async throws -> KillCheck {
        let load = BackgroundLoad(generator, targets: [target], concurrency: options.concurrency, idPrefix: prefix)
        try await Task.sleep(for: .seconds(options.killAfterSeconds))
        worker.server.process.signal(SIGKILL)
        _ = try await worker.server.process.waitForExit(timeout: .seconds(10))
        let tally = await load.stop()
        let restarted = try await stack.launcher.start(worker.arguments, spoolFolder: worker.spoolFolder)
        try await stack.waitUntilServing(
            CallTarget(name: "restarted", url: stack.gatewayURL(for: stack.tenants[0], on: restarted.server), headers: target.headers, cpuProcesses: { [] }),
            on: restarted.server, generator: generator)
        try await waitUntilStable(database)
        let found = try await database.query("""
            SELECT jsonrpc_id AS id, kind FROM audit_events WHERE starts_with(jsonrpc_id, \("\"" + prefix + "-"))
            """)
        var requests = Set<String>(), responses = Set<String>()
        for row in found {
            // The column holds the id's exact JSON text: a string id with its quotes.
            let id = String(try row.decode("id", as: String.self).dropFirst().dropLast())
            if try row.decode("kind", as: String.self) == "response" { responses.insert(id) } else { requests.insert(id) }
        }
        var check = KillCheck(answered: tally.answered, requestRows: requests.count)
        let missingRequest = tally.answeredIDs.filter { !requests.contains($0) }
        check.missingRequest = missingRequest.count
        check.firstMissing = missingRequest.first
        check.missingResponse = tally.answeredIDs.filter { !responses.contains($0) }.count
        return check
    }

    private func report(_ shipping: [Shipping], _ capacities: [Capacity], _ kills: [KillCheck]) {
        print("""
            Generator: GatewayBenchmarks, \(options.concurrency) callers back to back for \(options.seconds) s per worker. \
            Rows counted in `audit_events` every 100 ms; "drain" is from the end of the load until the count last moved.

            | worker | calls answered | events/s written (2 per call) | rows/s shipped during the load | backlog at the end of the load | drain s | rows/s shipped draining | target ≥ 20,000/s |
            |---|---:|---:|---:|---:|---:|---:|---|
            """)
        for row in shipping {
            let written = Double(2 * row.calls) / row.loadSeconds
            let underLoad = Double(row.shippedDuringLoad) / row.loadSeconds
            let draining = row.drainSeconds > 0 ? Double(row.drained) / row.drainSeconds : 0
            print("| \(row.label) | \(row.calls) | \(String(format: "%.0f", written)) | \(String(format: "%.0f", underLoad)) | \(row.backlogAtEnd) | \(String(format: "%.1f", row.drainSeconds)) | \(row.drained > 0 ? String(format: "%.0f", draining) : "-") | \(Report.verdict(max(underLoad, draining) >= 20_000)) |")
        }
        print("""

            Shipping a backlog: a worker started with an unreachable `--database-url` spooled \(options.seconds) s of saturating \
            calls and was stopped; restarted on its spool with the database, it shipped while \(options.concurrency) callers \
            went on for \(options.seconds) s, then alone. The rates are the shipper's capacity while a backlog remains.

            | worker | backlog (events) | calls during the load | rows/s shipped under load | events left at the end of the load | rows/s shipped alone | target ≥ 20,000/s |
            |---|---:|---:|---:|---:|---:|---|
            """)
        for row in capacities {
            let underLoad = Double(row.shippedUnderLoad) / row.loadSeconds
            let alone = row.drainSeconds > 0 ? Double(row.drained) / row.drainSeconds : 0
            print("| \(row.label) | \(row.backlog) | \(row.callsUnderLoad) | \(String(format: "%.0f", underLoad)) | \(row.leftAtEndOfLoad) | \(row.drained > 0 ? String(format: "%.0f", alone) : "-") | \(Report.verdict(max(underLoad, alone) >= 20_000)) |")
        }
        print("""

            `kill -9`: \(options.concurrency) callers with their own JSON-RPC ids, SIGKILL of the worker after \(options.killAfterSeconds) s, \
            the worker restarted on the same spool folder; then each answered call's rows looked up by id.

            | worker | calls answered before the kill | request rows shipped (answered or in flight) | answered calls without their request row (target 0) | answered calls without their response row |
            |---|---:|---:|---:|---:|
            """)
        for check in kills {
            print("| \(check.label) | \(check.answered) | \(check.requestRows) | \(check.missingRequest)\(check.missingRequest == 0 ? "" : " **lost**") | \(check.missingResponse) |")
            if let first = check.firstMissing { print("\nFirst answered call without its request row: id \(first)") }
        }
    }
}
