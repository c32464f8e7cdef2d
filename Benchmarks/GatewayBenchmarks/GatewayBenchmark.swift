import AsyncHTTPClient
import Foundation
import TestSupport

/// The end-to-end benchmark (issue 11 "Measure", first item): the same `tools/call` direct to
/// the upstream, through nginx, and through the gateway for (a) an allowed tool with no limit and
/// (b) the seed's policy shape (a per-grant limit in PostgreSQL), each on a worker of every audit
/// durability the build offers. Concurrency 1 twice (alternating between paths, and back to
/// back per path), then saturation, all in one run so every ratio has its baseline beside it.
struct GatewayBenchmark {
    let options: Options

    func run() async throws {
        printHeading("End-to-end benchmark")
        let durabilities = try AuditDurability.available()
        let stack = try await BenchmarkStack.start(
            spoolParent: options.spoolParent, tenants: options.directOnly ? [.echo] : [.echo, .limited],
            workers: durabilities.map(\.arguments))
        var nginx: NginxProxy?
        let generator = LoadGenerator(maxConnections: options.concurrency * 2)
        do {
            let upstream = stack.tenants[0].upstream
            print("upstream \(upstream.url), control plane \(stack.controlPlane.baseURL), gateway audit spools in \(options.spoolParent)")
            var targets = [CallTarget(name: "direct", url: upstream.url, headers: LoadGenerator.headers(), cpuProcesses: { [] })]
            if options.nginx, !options.directOnly, let executable = NginxProxy.executable() {
                let proxy = try await NginxProxy.start(executable: executable, upstreamPort: upstream.port)
                nginx = proxy
                targets.append(CallTarget(name: "nginx", url: proxy.url, headers: LoadGenerator.headers(), cpuProcesses: { proxy.processes }))
            }
            if !options.directOnly {
                for (worker, durability) in zip(stack.workers, durabilities) {
                    for (tenant, shape) in zip(stack.tenants, ["(a) no limit", "(b) limit in PostgreSQL"]) {
                        let pid = worker.pid
                        let target = CallTarget(
                            name: "gateway \(shape), \(durability.label)", url: stack.gatewayURL(for: tenant, on: worker.server),
                            headers: LoadGenerator.headers(bearer: tenant.grantToken), cpuProcesses: { [pid] })
                        try await stack.waitUntilServing(target, on: worker.server, generator: generator)
                        targets.append(target)
                    }
                }
            }
            try await measure(targets, generator: generator)
        } catch {
            await generator.shutdown()
            await stop(stack, nginx)
            throw error
        }
        await generator.shutdown()
        await stop(stack, nginx)
    }

    /// c=1 alternating and back to back, then saturation, over `targets` (the first is direct).
    func measure(_ targets: [CallTarget], generator: LoadGenerator) async throws {
        // Warm-up: connections, caches, the gateway's first snapshot lookups.
        progress("concurrency 1: warm-up")
        _ = try await generator.sequential(targets, count: 200)

        progress("concurrency 1, alternating: \(options.calls) calls per path")
        // CPU per call here too: interleaved, every path is charged under the same load, which
        // makes this the column to compare two builds by on a shared machine.
        let cpuBefore = targets.map(Self.cpuSeconds)
        let alternating = try await generator.sequential(targets, count: options.calls)
        Report.concurrencyOne(
            "alternating: one call to each path in turn, \(options.calls) per path",
            zip(targets, zip(alternating, cpuBefore)).map { target, measured in
                (name: target.name, samples: measured.0, cpuMicrosecondsPerCall: Self.cpuPerCall(target, since: measured.1, calls: options.calls))
            })

        var backToBack: [(name: String, samples: [Double], cpuMicrosecondsPerCall: Double?)] = []
        for target in targets {
            progress("concurrency 1, back to back: \(target.name)")
            let cpuBefore = Self.cpuSeconds(target)
            let samples = try await generator.sequential([target], count: options.calls)[0]
            backToBack.append((target.name, samples, Self.cpuPerCall(target, since: cpuBefore, calls: options.calls)))
        }
        Report.concurrencyOne("back to back: \(options.calls) calls to one path, then the next", backToBack)

        // Two rounds, each path in turn, so a drift of the machine's load affects all alike.
        let roundDuration = Duration.milliseconds(options.seconds * 500)
        var totals = targets.map { (name: $0.name, result: LoadGenerator.SaturationResult()) }
        let ownCPUBefore = ProcessCPU.ownSeconds()
        for target in targets { _ = await generator.saturate(target, concurrency: options.concurrency, duration: .seconds(1)) }
        for round in 1...2 {
            for (index, target) in targets.enumerated() {
                progress("saturation: \(target.name), round \(round) of 2")
                let result = await generator.saturate(target, concurrency: options.concurrency, duration: roundDuration)
                totals[index].result.calls += result.calls
                totals[index].result.failures += result.failures
                totals[index].result.seconds += result.seconds
                totals[index].result.cpuSeconds += result.cpuSeconds
                totals[index].result.firstFailure = totals[index].result.firstFailure ?? result.firstFailure
            }
        }
        Report.saturation(totals, concurrency: options.concurrency, clientCPUSeconds: ProcessCPU.ownSeconds() - ownCPUBefore)
    }

    /// The CPU seconds used so far by the target's processes; nil when it has none (direct).
    private static func cpuSeconds(_ target: CallTarget) -> Double? {
        let processes = target.cpuProcesses()
        return processes.isEmpty ? nil : processes.map(ProcessCPU.seconds).reduce(0, +)
    }

    private static func cpuPerCall(_ target: CallTarget, since before: Double?, calls: Int) -> Double? {
        guard let before, let now = cpuSeconds(target) else { return nil }
        return (now - before) / Double(calls) * 1e6
    }

    private func stop(_ stack: BenchmarkStack, _ nginx: NginxProxy?) async {
        await stack.stop()
        nginx?.removeFiles()
    }
}

/// Progress goes to standard error, apart from the tables; the tables printed so far are
/// flushed first, so both read in order when the output goes to a file.
func progress(_ message: String) {
    fflush(nil)
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}

/// A benchmark's heading with the machine's state at its start (the figures depend on it).
func printHeading(_ title: String) {
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    print("\n## \(title): \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(load) at start\n")
}
