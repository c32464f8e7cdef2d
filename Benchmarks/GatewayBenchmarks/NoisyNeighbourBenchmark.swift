import Foundation
import TestSupport

/// The noisy-neighbour benchmark (issue 10 item 26): two accounts on one installation behind the
/// same gateway. B sends ordinary calls at concurrency 1 and its latencies are measured; A sends
/// hostile traffic at the same time in some phases and not in others, alternating, so B's latency
/// with and without A comes from the same run.
struct NoisyNeighbourBenchmark {
    let options: NoisyNeighbourOptions

    /// What one phase measured.
    struct Phase {
        let kinds: [HostileKind]
        var neighbour = LoadGenerator.TimedCalls()
        var hostile: [HostileKind: HostileTally] = [:]
        var seconds = 0.0
        var gatewayCPU = 0.0
        var controlPlaneCPU = 0.0
        var ownCPU = 0.0
        /// How long the processes took to go idle before this phase, and whether they did.
        var settle = (seconds: 0.0, idle: true)
    }

    func run() async throws {
        printHeading("Noisy neighbour")
        var neighbourPlan = TenantPlan.echo
        neighbourPlan.label = "neighbour"
        let stack = try await BenchmarkStack.start(spoolParent: options.spoolParent, tenants: [neighbourPlan, options.shape.tenantPlan])
        let (neighbour, hostile) = (stack.tenants[0], stack.tenants[1])
        // Swapped in after registration, as a hostile upstream would: discovery saw the small list.
        hostile.upstream.setTools(options.shape.hugeToolList)
        let generator = LoadGenerator(maxConnections: 2)
        let traffic = HostileTraffic(url: stack.gatewayURL(for: hostile), grantToken: hostile.grantToken, shape: options.shape)
        do {
            let gatewayPID = stack.gateway.process.pid
            let target = CallTarget(
                name: "B", url: stack.gatewayURL(for: neighbour), headers: LoadGenerator.headers(bearer: neighbour.grantToken),
                cpuProcesses: { [gatewayPID] })
            try await stack.waitUntilServing(target, generator: generator)
            _ = try await generator.sequential([target], count: 200)
            var phases: [Phase] = []
            for (index, kinds) in options.phases.enumerated() {
                progress("phase \(index + 1) of \(options.phases.count): " + (kinds.isEmpty ? "B alone" : "B beside A (\(kinds.map(\.rawValue).joined(separator: ", ")))"))
                phases.append(await measure(kinds, target: target, generator: generator, traffic: traffic, stack: stack))
            }
            NoisyNeighbourReport(phases: phases, shape: options.shape, seconds: options.seconds).print()
        } catch {
            await shutdown(generator, traffic, stack)
            throw error
        }
        await shutdown(generator, traffic, stack)
    }

    /// One phase: waits for the processes to go idle, then B's calls for `--seconds`, with A's
    /// callers beside them when `kinds` is not empty; A's requests still open at the end are cut.
    private func measure(
        _ kinds: [HostileKind], target: CallTarget, generator: LoadGenerator, traffic: HostileTraffic, stack: BenchmarkStack
    ) async -> Phase {
        var phase = Phase(kinds: kinds)
        let processes = (gateway: stack.gateway.process.pid, controlPlane: stack.controlPlane.process.pid)
        phase.settle = await settle([processes.gateway, processes.controlPlane])
        let cpuBefore = (ProcessCPU.seconds(processes.gateway), ProcessCPU.seconds(processes.controlPlane), ProcessCPU.ownSeconds())
        let started = ContinuousClock.now
        let deadline = started + .seconds(options.seconds)
        (phase.neighbour, phase.hostile) = await withTaskGroup(of: [HostileKind: HostileTally].self) { group in
            if !kinds.isEmpty { group.addTask { await traffic.run(kinds) } }
            let neighbour = await generator.timedCalls(target, until: deadline)
            group.cancelAll()
            var hostile: [HostileKind: HostileTally] = [:]
            for await tallies in group { hostile.merge(tallies) { $1 } }
            return (neighbour, hostile)
        }
        phase.seconds = (ContinuousClock.now - started).seconds
        phase.gatewayCPU = ProcessCPU.seconds(processes.gateway) - cpuBefore.0
        phase.controlPlaneCPU = ProcessCPU.seconds(processes.controlPlane) - cpuBefore.1
        phase.ownCPU = ProcessCPU.ownSeconds() - cpuBefore.2
        return phase
    }

    /// Waits until `processes` together use less than a tenth of a core over half a second, at
    /// most `--settle-seconds`: work A left behind (a regex still backtracking, audit events still
    /// shipping) must not be charged to the next phase where B is alone, and how long it lasts is
    /// itself a finding.
    private func settle(_ processes: [pid_t]) async -> (seconds: Double, idle: Bool) {
        let started = ContinuousClock.now
        let limit = started + .seconds(options.settleSeconds)
        var before = processes.map(ProcessCPU.seconds).reduce(0, +)
        while ContinuousClock.now < limit {
            try? await Task.sleep(for: .milliseconds(500))
            let now = processes.map(ProcessCPU.seconds).reduce(0, +)
            if now - before < 0.05 { return ((ContinuousClock.now - started).seconds, true) }
            before = now
        }
        return ((ContinuousClock.now - started).seconds, false)
    }

    private func shutdown(_ generator: LoadGenerator, _ traffic: HostileTraffic, _ stack: BenchmarkStack) async {
        await generator.shutdown()
        await traffic.shutdown()
        await stack.stop()
    }
}
