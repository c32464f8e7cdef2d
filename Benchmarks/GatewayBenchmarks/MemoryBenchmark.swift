import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Issue 11 "Measure", fifth item (design.md §10: idle worker ≤ 40 MB RSS, ≤ 20 KB per open SSE
/// stream): the worker's own resident set idle, after `--memory-calls` calls, sampled over a
/// soak of `--soak-minutes` under the same load (it must level off), and per open GET event
/// stream relayed from the upstream.
struct MemoryBenchmark {
    let options: Options

    func run() async throws {
        printHeading("Memory of one worker")
        let durability = try AuditDurability.target()
        let stack = try await BenchmarkStack.start(spoolParent: options.spoolParent, tenants: [.echo, .streaming], workers: [durability.arguments])
        let generator = LoadGenerator(maxConnections: options.concurrency * 2)
        do {
            let pid = stack.workers[0].pid
            let tenant = stack.tenants[0]
            let target = CallTarget(name: "gateway", url: stack.gatewayURL(for: tenant), headers: LoadGenerator.headers(bearer: tenant.grantToken), cpuProcesses: { [] })
            try await stack.waitUntilServing(target, generator: generator)
            _ = try await generator.sequential([target], count: 10)
            try await Task.sleep(for: .seconds(2))
            let idle = ProcessTools.residentKiB(pid)

            progress("memory: \(options.memoryCalls) calls")
            let load = BackgroundLoad(generator, targets: [target], concurrency: options.concurrency)
            await load.waitForAnswered(options.memoryCalls, timeout: .seconds(900))
            let afterCalls = (calls: load.answered, kib: ProcessTools.residentKiB(pid))

            progress("memory: soak of \(options.soakMinutes) minutes")
            var samples: [(minute: Double, calls: Int, kib: Int)] = [(0, afterCalls.calls, afterCalls.kib)]
            let soakStart = ContinuousClock.now
            let soakEnd = soakStart + .seconds(options.soakMinutes * 60)
            while ContinuousClock.now < soakEnd {
                try await Task.sleep(for: .seconds(min(60, max(1, options.soakMinutes * 6))))
                samples.append(((ContinuousClock.now - soakStart).seconds / 60, load.answered, ProcessTools.residentKiB(pid)))
            }
            let tally = await load.stop()
            try await Task.sleep(for: .seconds(2))
            let afterSoak = ProcessTools.residentKiB(pid)

            progress("memory: \(options.streams) open event streams")
            let streams = try await openStreams(stack, pid: pid)

            print("""
                Generator: GatewayBenchmarks, \(options.concurrency) callers back to back. RSS is `VmRSS` of the worker's \
                `/proc/<pid>/status` (\(durability.label)).

                | when | calls so far | worker RSS MiB |
                |---|---:|---:|
                | idle, after start and 10 calls | 10 | \(mib(idle)) |
                | after \(afterCalls.calls) calls | \(afterCalls.calls) | \(mib(afterCalls.kib)) |
                """)
            for sample in samples.dropFirst() {
                print("| soak, minute \(String(format: "%.1f", sample.minute)) | \(sample.calls) | \(mib(sample.kib)) |")
            }
            print("| idle again, 2 s after the soak | \(tally.answered) | \(mib(afterSoak)) |")
            let half = samples[samples.count / 2].kib
            let growth = Double(samples.last!.kib - half) / Double(max(half, 1)) * 100
            print("""

                Soak: RSS from the middle of the soak to its end \(String(format: "%+.1f", growth)) % \
                (\(mib(half)) → \(mib(samples.last!.kib)) MiB); it levels off when that stays within a few percent over a long soak.
                Target idle ≤ 40 MB (40,000,000 bytes): \(Report.verdict(idle * 1024 <= 40_000_000)).
                Open GET event streams: \(streams.opened) of \(options.streams) opened, RSS \(mib(streams.before)) → \(mib(streams.after)) MiB, \
                \(String(format: "%.1f", streams.perStreamKiB)) KiB per stream; target ≤ 20 KB: \(Report.verdict(streams.opened == options.streams && streams.perStreamKiB * 1024 <= 20_000)).
                """)
            if let failure = tally.firstFailure { print("\n\(tally.failed) calls failed; first: \(failure)") }
        } catch {
            await generator.shutdown()
            await stack.stop()
            throw error
        }
        await generator.shutdown()
        await stack.stop()
    }

    private func mib(_ kib: Int) -> String { String(format: "%.1f", Double(kib) / 1024) }

    /// Opens `--streams` GET event streams through the worker (each read until the upstream's
    /// first event has come through), measures the worker's RSS with them open, then closes them.
    private func openStreams(_ stack: BenchmarkStack, pid: pid_t) async throws -> (opened: Int, before: Int, after: Int, perStreamKiB: Double) {
        let tenant = stack.tenants[1]
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: options.streams + 8)
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let opened = NIOLockedValueBox(0)
        let before = ProcessTools.residentKiB(pid)
        let holders = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<options.streams {
                    group.addTask {
                        var request = HTTPClientRequest(url: stack.gatewayURL(for: tenant))
                        request.headers.add(name: "Accept", value: "text/event-stream")
                        request.headers.add(name: "MCP-Protocol-Version", value: "2025-06-18")
                        request.headers.add(name: "Authorization", value: "Bearer \(tenant.grantToken)")
                        guard let response = try? await client.execute(request, timeout: .seconds(600)), response.status == .ok else { return }
                        var body = response.body.makeAsyncIterator()
                        guard (try? await body.next()) != nil else { return }
                        opened.withLockedValue { $0 += 1 }
                        while (try? await body.next()) != nil {}
                    }
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while opened.withLockedValue({ $0 }) < options.streams, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        try await Task.sleep(for: .seconds(2))
        let after = ProcessTools.residentKiB(pid)
        let count = opened.withLockedValue { $0 }
        holders.cancel()
        try? await client.shutdown()
        await holders.value
        return (count, before, after, count > 0 ? Double(after - before) / Double(count) : 0)
    }
}
