import AsyncHTTPClient
import Foundation
import TestSupport

/// The run: start the stack, check every path answers the call correctly, then the
/// concurrency-1 phase and the saturation phase, then stop everything.
struct GatewayBenchmark {
    let options: Options

    func run() async throws {
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        print("## End-to-end benchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(load) at start\n")
        let stack = try await BenchmarkStack.start(spoolParent: options.spoolParent)
        var nginx: NginxProxy?
        let generator = LoadGenerator(maxConnections: options.concurrency * 2)
        do {
            let tenant = stack.tenants[0]
            print("upstream \(tenant.upstream.url), control plane \(stack.controlPlane.baseURL), gateway \(stack.gatewayURL(for: tenant))")
            print("gateway audit spool in \(stack.spoolFolder)")
            let direct = CallTarget(name: "direct", url: tenant.upstream.url, headers: LoadGenerator.headers(), cpuProcesses: { [] })
            let gatewayPID = stack.gateway.process.pid
            let gateway = CallTarget(
                name: "gateway", url: stack.gatewayURL(for: tenant), headers: LoadGenerator.headers(bearer: tenant.grantToken), cpuProcesses: { [gatewayPID] })
            var saturationTargets = [direct]
            if options.nginx, !options.directOnly, let executable = NginxProxy.executable() {
                let proxy = try await NginxProxy.start(executable: executable, upstreamPort: tenant.upstream.port)
                nginx = proxy
                saturationTargets.append(CallTarget(name: "nginx", url: proxy.url, headers: LoadGenerator.headers(), cpuProcesses: { proxy.processes }))
            }
            if !options.directOnly {
                try await stack.waitUntilServing(gateway, generator: generator)
                saturationTargets.append(gateway)
            }
            try await measure(direct: direct, gateway: options.directOnly ? nil : gateway, saturationTargets: saturationTargets, generator: generator)
        } catch {
            await generator.shutdown()
            await stop(stack, nginx)
            throw error
        }
        await generator.shutdown()
        await stop(stack, nginx)
    }

    private func measure(direct: CallTarget, gateway: CallTarget?, saturationTargets: [CallTarget], generator: LoadGenerator) async throws {
        let sequentialTargets = [direct] + (gateway.map { [$0] } ?? [])
        // Warm-up: connections, caches, the gateway's first snapshot lookups.
        progress("concurrency 1: \(options.calls) calls per path")
        _ = try await generator.sequential(sequentialTargets, count: 200)
        let gatewayProcesses = gateway?.cpuProcesses() ?? []
        let cpuBefore = gatewayProcesses.map(ProcessCPU.seconds).reduce(0, +)
        let samples = try await generator.sequential(sequentialTargets, count: options.calls)
        let cpuPerCall = (gatewayProcesses.map(ProcessCPU.seconds).reduce(0, +) - cpuBefore) / Double(options.calls)
        Report.latency(direct: samples[0], gateway: gateway == nil ? nil : (samples[1], cpuPerCall))

        // Two rounds, each path in turn, so a drift of the machine's load affects all alike.
        let roundDuration = Duration.milliseconds(options.seconds * 500)
        var totals = saturationTargets.map { (name: $0.name, result: LoadGenerator.SaturationResult()) }
        let ownCPUBefore = ProcessCPU.ownSeconds()
        for target in saturationTargets { _ = await generator.saturate(target, concurrency: options.concurrency, duration: .seconds(1)) }
        for round in 1...2 {
            for (index, target) in saturationTargets.enumerated() {
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

    /// Progress goes to standard error, apart from the tables; the tables printed so far are
    /// flushed first, so both read in order when the output goes to a file.
    private func progress(_ message: String) {
        fflush(nil)
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    private func stop(_ stack: BenchmarkStack, _ nginx: NginxProxy?) async {
        await stack.stop()
        nginx?.removeFiles()
    }
}
