import Foundation

/// Issue 11 "Measure", third item (design.md §10: policy change committed → enforced by every worker,
/// 4 workers, p99 ≤ 50 ms). One account's policy flips between allowing and denying `echo`
/// through `PUT /v1/policies/{id}`; after each PUT one prober per worker calls until its worker
/// answers the new way. Flips run unloaded, then with other accounts' calls at half the rate the
/// four workers reach at saturation.
struct PropagationBenchmark {
    let options: Options

    static let allow = #"{"version": "1", "default": "deny", "tools": {"echo": {}}}"#
    static let deny = #"{"version": "1", "default": "deny"}"#

    struct Flip {
        /// PUT sent → PUT answered (the change is committed).
        var put: Double
        /// PUT answered → the last worker answered the new way; nil if one did not within 10 s.
        var afterCommit: Double?
    }

    func run() async throws {
        printHeading("Propagation: policy change committed → enforced by every worker")
        let durability = try AuditDurability.target()
        var flipPlan = TenantPlan.echo
        flipPlan.label = "flip"
        flipPlan.policy = Self.allow
        let stack = try await BenchmarkStack.start(
            spoolParent: options.spoolParent, tenants: [.echo, flipPlan], workers: Array(repeating: durability.arguments, count: options.workers))
        let generator = LoadGenerator(maxConnections: 64)
        do {
            let (loadTenant, flipTenant) = (stack.tenants[0], stack.tenants[1])
            let admin = AdminAPI(baseURL: stack.controlPlane.baseURL)
            let loadTargets = stack.workers.map { worker in
                CallTarget(name: "load", url: stack.gatewayURL(for: loadTenant, on: worker.server), headers: LoadGenerator.headers(bearer: loadTenant.grantToken), cpuProcesses: { [] })
            }
            let probes = stack.workers.map { worker in
                CallTarget(name: "probe", url: stack.gatewayURL(for: flipTenant, on: worker.server), headers: LoadGenerator.headers(bearer: flipTenant.grantToken), cpuProcesses: { [] })
            }
            for (index, worker) in stack.workers.enumerated() {
                try await stack.waitUntilServing(loadTargets[index], on: worker.server, generator: generator)
                try await stack.waitUntilServing(probes[index], on: worker.server, generator: generator)
            }
            print("\(options.workers) workers (\(durability.label)), \(options.flips) flips per phase.\n")

            progress("propagation: \(options.flips) flips unloaded")
            let unloaded = try await flips(flipTenant, probes: probes, admin: admin, generator: generator, firstExpectsAllowed: false)

            progress("propagation: saturation rate of the \(options.workers) workers")
            let saturation = BackgroundLoad(generator, targets: loadTargets, concurrency: options.concurrency)
            try await Task.sleep(for: .seconds(1))
            let counted = saturation.answered
            try await Task.sleep(for: .seconds(3))
            let saturationRate = Double(saturation.answered - counted) / 3
            await saturation.stop()

            progress("propagation: \(options.flips) flips at \(Int(saturationRate / 2)) calls/s")
            let moderate = BackgroundLoad(generator, targets: loadTargets, concurrency: options.concurrency, callsPerSecond: saturationRate / 2)
            try await Task.sleep(for: .seconds(1))
            let loadStart = (moderate.answered, ContinuousClock.now)
            // An even number of unloaded flips left the policy allowing echo, an odd one denying it.
            let loaded = try await flips(flipTenant, probes: probes, admin: admin, generator: generator, firstExpectsAllowed: options.flips % 2 == 1)
            let achieved = Double(moderate.answered - loadStart.0) / (ContinuousClock.now - loadStart.1).seconds
            let tally = await moderate.stop()

            print("""
                Generator: GatewayBenchmarks. Each flip: `PUT /v1/policies/{id}` through the control plane, then one \
                prober per worker sending the call back to back until its worker answers the new way (allowed ⇄ \
                `[POLICY DENIED]`). Times in ms (with fewer than 100 flips, p99 is the largest).

                | phase | background calls/s | flips | PUT (commit) p50 | committed → every worker p50 | p99 | max | PUT sent → every worker p50 | p99 | target p99 ≤ 50 ms |
                |---|---:|---:|---:|---:|---:|---:|---:|---:|---|
                """)
            row("unloaded", load: 0, unloaded)
            row("half the saturation rate (\(Int(saturationRate)) calls/s at \(options.concurrency) callers)", load: achieved, loaded)
            if tally.failed > 0, let failure = tally.firstFailure { print("\nBackground calls failed: \(tally.failed); first: \(failure)") }
        } catch {
            await generator.shutdown()
            await stack.stop()
            throw error
        }
        await generator.shutdown()
        await stack.stop()
    }

    private func flips(_ tenant: BenchmarkTenant, probes: [CallTarget], admin: AdminAPI, generator: LoadGenerator, firstExpectsAllowed: Bool) async throws -> [Flip] {
        var results: [Flip] = []
        for index in 0..<options.flips {
            let allowed = index % 2 == 0 ? firstExpectsAllowed : !firstExpectsAllowed
            let sent = ContinuousClock.now
            try await admin.updatePolicy(id: tenant.policyID, document: allowed ? Self.allow : Self.deny, apiKey: tenant.apiKey)
            let committed = ContinuousClock.now
            let deadline = committed + .seconds(10)
            let enforced = await withTaskGroup(of: ContinuousClock.Instant?.self) { group in
                for probe in probes {
                    group.addTask {
                        while ContinuousClock.now < deadline {
                            let failure = await generator.call(probe)
                            let answeredAllowed = failure == nil
                            let answeredDenied = failure.map { $0.status == 200 && $0.body.contains("[POLICY DENIED]") } ?? false
                            if allowed ? answeredAllowed : answeredDenied { return ContinuousClock.now }
                        }
                        return nil
                    }
                }
                var last: ContinuousClock.Instant? = committed
                for await instant in group { last = instant.flatMap { instant in last.map { max($0, instant) } } }
                return last
            }
            results.append(Flip(put: (committed - sent).seconds, afterCommit: enforced.map { ($0 - committed).seconds }))
            try await Task.sleep(for: .milliseconds(100))
        }
        return results
    }

    private func row(_ phase: String, load: Double, _ flips: [Flip]) {
        let put = flips.map { $0.put * 1e3 }
        let after = flips.compactMap { $0.afterCommit.map { $0 * 1e3 } }
        let total = flips.compactMap { flip in flip.afterCommit.map { ($0 + flip.put) * 1e3 } }
        let missed = flips.count - after.count
        func ms(_ samples: [Double], _ fraction: Double) -> String { samples.isEmpty ? "-" : String(format: "%.1f", Report.percentile(samples, fraction)) }
        let met = missed == 0 && !after.isEmpty && Report.percentile(after, 0.99) <= 50
        print("| \(phase) | \(load > 0 ? String(format: "%.0f", load) : "0") | \(flips.count)\(missed > 0 ? " (\(missed) not enforced within 10 s)" : "") | \(ms(put, 0.5)) | \(ms(after, 0.5)) | \(ms(after, 0.99)) | \(ms(after, 1)) | \(ms(total, 0.5)) | \(ms(total, 0.99)) | \(Report.verdict(met)) |")
    }
}
