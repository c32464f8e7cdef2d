import Foundation
import TestSupport

/// The floor (issue 11: "show with measurements what the floor is"): direct, nginx, the bare
/// Hummingbird + AsyncHTTPClient proxy (`FloorProxy`) and the gateway's (a) no-limit path with
/// the target's audit durability, in one run: the end-to-end tables (c=1 and saturation), then the
/// per-call cost (context switches, CPU, system calls) of the floor and of the gateway side by
/// side. The gateway's cost above the floor is the gateway's own work; the floor's cost above
/// nginx is the libraries'.
struct FloorBenchmark {
    let options: Options

    func run() async throws {
        printHeading("The floor: a bare Hummingbird + AsyncHTTPClient proxy beside nginx and the gateway")
        let durability = try AuditDurability.target()
        let stack = try await BenchmarkStack.start(spoolParent: options.spoolParent, tenants: [.echo], workers: [durability.arguments])
        var nginx: NginxProxy?
        let generator = LoadGenerator(maxConnections: options.concurrency * 2)
        do {
            let upstream = stack.tenants[0].upstream
            var targets = [CallTarget(name: "direct", url: upstream.url, headers: LoadGenerator.headers(), cpuProcesses: { [] })]
            if options.nginx, let executable = NginxProxy.executable() {
                let proxy = try await NginxProxy.start(executable: executable, upstreamPort: upstream.port)
                nginx = proxy
                targets.append(CallTarget(name: "nginx", url: proxy.url, headers: LoadGenerator.headers(), cpuProcesses: { proxy.processes }))
            }
            let floor = try await FloorProxy.start(upstreamURL: upstream.url)
            let floorPID = floor.process.pid
            let floorTarget = CallTarget(
                name: "floor (Hummingbird + AsyncHTTPClient)", url: floor.url, headers: LoadGenerator.headers(), cpuProcesses: { [floorPID] })
            let worker = stack.workers[0]
            let workerPID = worker.pid
            let gateway = CallTarget(
                name: "gateway (a) no limit, \(durability.label)", url: stack.gatewayURL(for: stack.tenants[0], on: worker.server),
                headers: LoadGenerator.headers(bearer: stack.tenants[0].grantToken), cpuProcesses: { [workerPID] })
            try await stack.waitUntilServing(gateway, on: worker.server, generator: generator)
            // The same path through an earlier build, interleaved with this one, so a change is
            // measured against its baseline under the same load (`--baseline-gateway`).
            var measured = [(gateway, workerPID)]
            if let binary = options.baselineGateway {
                let baseline = try await stack.launcher.start(durability.arguments, binary: binary)
                let baselinePID = baseline.pid
                let target = CallTarget(
                    name: "\(binary) (a) no limit, \(durability.label)", url: stack.gatewayURL(for: stack.tenants[0], on: baseline.server),
                    headers: gateway.headers, cpuProcesses: { [baselinePID] })
                try await stack.waitUntilServing(target, on: baseline.server, generator: generator)
                measured.insert((target, baselinePID), at: 0)
            }
            targets += [floorTarget] + measured.map(\.0)
            try await GatewayBenchmark(options: options).measure(targets, generator: generator)

            let cost = SyscallBenchmark(options: options)
            let (perf, strace) = SyscallBenchmark.tools()
            var rows: [SyscallBenchmark.Row] = []
            for (target, pid) in [(floorTarget, floorPID)] + measured {
                for concurrency in [1, options.concurrency] {
                    progress("per-call cost: \(target.name), concurrency \(concurrency)")
                    rows.append(try await cost.measure(target, pid: pid, concurrency: concurrency, generator: generator, perf: perf, strace: strace))
                }
            }
            cost.report(rows)
        } catch {
            await generator.shutdown()
            await stack.stop()
            nginx?.removeFiles()
            throw error
        }
        await generator.shutdown()
        await stack.stop()
        nginx?.removeFiles()
    }
}
