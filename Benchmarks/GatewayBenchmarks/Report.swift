import Foundation

/// The benchmark's tables, in Markdown so they paste into docs/performance.md.
enum Report {
    static func percentile(_ samples: [Double], _ fraction: Double) -> Double {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    static func microseconds(_ nanoseconds: Double) -> String { String(format: "%.0f", nanoseconds / 1000) }

    /// Concurrency 1: every path's p50/p99 and what each adds to direct and to nginx, with design.md §10's
    /// verdict for the gateway paths.
    static func concurrencyOne(_ mode: String, _ paths: [(name: String, samples: [Double], cpuMicrosecondsPerCall: Double?)]) {
        print("\n### Concurrency 1, \(mode)\n")
        print("Generator: GatewayBenchmarks (AsyncHTTPClient in the benchmark process, kept-alive connections; the upstream is in the same process).\n")
        let direct = paths.first { $0.name == "direct" }?.samples ?? []
        let nginx = paths.first { $0.name == "nginx" }?.samples
        print("| path | p50 µs | p99 µs | added p50 µs | added p99 µs | added p50 vs nginx µs | CPU µs per call (proxy) | target: added p50 ≤ +150, p99 ≤ +1000 |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for path in paths {
            let (p50, p99) = (percentile(path.samples, 0.5), percentile(path.samples, 0.99))
            let (addedP50, addedP99) = (p50 - percentile(direct, 0.5), p99 - percentile(direct, 0.99))
            let isGateway = path.name.hasPrefix("gateway")
            let added = path.name == "direct" ? ("-", "-") : (signed(addedP50), signed(addedP99))
            let overNginx = nginx.map { path.name == "direct" || path.name == "nginx" ? "-" : signed(p50 - percentile($0, 0.5)) } ?? "-"
            let cpu = path.cpuMicrosecondsPerCall.map { String(format: "%.0f", $0) } ?? "-"
            let target = isGateway ? verdict(addedP50 <= 150_000 && addedP99 <= 1_000_000) : ""
            print("| \(path.name) | \(microseconds(p50)) | \(microseconds(p99)) | \(added.0) | \(added.1) | \(overNginx) | \(cpu) | \(target) |")
        }
    }

    static func saturation(_ results: [(name: String, result: LoadGenerator.SaturationResult)], concurrency: Int, clientCPUSeconds: Double) {
        print("\n### Saturation: \(concurrency) concurrent callers\n")
        print("Generator: GatewayBenchmarks (AsyncHTTPClient, \(concurrency) callers back to back); two rounds, each path in turn.\n")
        let nginx = results.first { $0.name == "nginx" }?.result
        print("| path | seconds | calls | failed | calls/s | × nginx | CPU µs per call (proxy) | calls per CPU-second (proxy) | target ≥ 0.5× nginx |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for (name, result) in results {
            let proxied = result.cpuSeconds > 0
            let ratio = nginx.map { result.callsPerSecond / $0.callsPerSecond }
            let target = name.hasPrefix("gateway") ? ratio.map { verdict($0 >= 0.5) } ?? "no nginx" : ""
            print("| \(name) | \(String(format: "%.1f", result.seconds)) | \(result.calls) | \(result.failures) | \(String(format: "%.0f", result.callsPerSecond)) | \(ratio.map { String(format: "%.2f", $0) } ?? "-") | \(proxied ? String(format: "%.1f", result.cpuMicrosecondsPerCall) : "-") | \(proxied ? String(format: "%.0f", 1e6 / result.cpuMicrosecondsPerCall) : "-") | \(target) |")
        }
        print("\nThe benchmark process itself (load generator and upstream) used \(String(format: "%.1f", clientCPUSeconds)) CPU seconds in this phase.")
        for (name, result) in results where name.hasPrefix("gateway") && result.calls > 0 {
            let perCore = 1e6 / result.cpuMicrosecondsPerCall
            print("Target ≥ 12,000 calls/s per core used, \(name): \(String(format: "%.0f", perCore)) calls per gateway CPU-second: \(verdict(perCore >= 12_000))")
        }
        for (_, result) in results {
            if let failure = result.firstFailure { print("\nFirst failure: \(failure)") }
        }
    }

    static func signed(_ nanoseconds: Double) -> String { (nanoseconds >= 0 ? "+" : "") + microseconds(nanoseconds) }

    static func verdict(_ met: Bool) -> String { met ? "met" : "**not met**" }
}
