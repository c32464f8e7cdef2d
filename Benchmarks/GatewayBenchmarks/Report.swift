import Foundation

/// The benchmark's tables, in Markdown so they paste into docs/performance.md.
enum Report {
    static func percentile(_ samples: [Double], _ fraction: Double) -> Double {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    static func microseconds(_ nanoseconds: Double) -> String { String(format: "%.0f", nanoseconds / 1000) }

    static func latency(direct: [Double], gateway measured: (samples: [Double], cpuSecondsPerCall: Double)?) {
        print("\n### Concurrency 1: \(direct.count) calls per path, alternating\n")
        print("| path | p50 µs | p99 µs | target |")
        print("|---|---:|---:|---|")
        print("| direct to the upstream | \(microseconds(percentile(direct, 0.5))) | \(microseconds(percentile(direct, 0.99))) | |")
        guard let (gateway, cpuSecondsPerCall) = measured else { return }
        print("| through the gateway | \(microseconds(percentile(gateway, 0.5))) | \(microseconds(percentile(gateway, 0.99))) | |")
        let addedP50 = percentile(gateway, 0.5) - percentile(direct, 0.5)
        let addedP99 = percentile(gateway, 0.99) - percentile(direct, 0.99)
        print("| **added** (gateway − direct) | **+\(microseconds(addedP50))** | **+\(microseconds(addedP99))** | p50 ≤ +150, p99 ≤ +1000: \(verdict(addedP50 <= 150_000 && addedP99 <= 1_000_000)) |")
        let paired = zip(gateway, direct).map { $0 - $1 }
        print("| added, per pair (call i through the gateway − call i direct) | +\(microseconds(percentile(paired, 0.5))) | +\(microseconds(percentile(paired, 0.99))) | |")
        print("\nGateway CPU time in this phase: \(String(format: "%.0f", cpuSecondsPerCall * 1e6)) µs per call (user + system, /proc).")
    }

    static func saturation(_ results: [(name: String, result: LoadGenerator.SaturationResult)], concurrency: Int, clientCPUSeconds: Double) {
        print("\n### Saturation: \(concurrency) concurrent callers\n")
        print("| path | seconds | calls | failed | calls/s | CPU µs per call (proxy) | calls per CPU-second (proxy) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for (name, result) in results {
            let proxied = result.cpuSeconds > 0
            print("| \(name) | \(String(format: "%.1f", result.seconds)) | \(result.calls) | \(result.failures) | \(String(format: "%.0f", result.callsPerSecond)) | \(proxied ? String(format: "%.1f", result.cpuMicrosecondsPerCall) : "-") | \(proxied ? String(format: "%.0f", 1e6 / result.cpuMicrosecondsPerCall) : "-") |")
        }
        print("\nThe benchmark process itself (load generator and upstream) used \(String(format: "%.1f", clientCPUSeconds)) CPU seconds in this phase.")
        let gateway = results.first { $0.name == "gateway" }?.result
        let nginx = results.first { $0.name == "nginx" }?.result
        if let gateway, gateway.calls > 0 {
            let perCore = 1e6 / gateway.cpuMicrosecondsPerCall
            print("\nTarget ≥ 12,000 calls/s per core used: \(String(format: "%.0f", perCore)) calls per gateway CPU-second: \(verdict(perCore >= 12_000))")
            if let nginx, nginx.calls > 0 {
                let ratio = gateway.callsPerSecond / nginx.callsPerSecond
                print("Target ≥ 0.5× nginx: gateway/nginx calls/s = \(String(format: "%.2f", ratio)): \(verdict(ratio >= 0.5))")
            }
        }
        for (_, result) in results {
            if let failure = result.firstFailure { print("\nFirst failure: \(failure)") }
        }
    }

    static func verdict(_ met: Bool) -> String { met ? "met" : "**not met**" }
}
