import Foundation

/// The noisy-neighbour tables, in Markdown so they paste into docs/performance.md.
struct NoisyNeighbourReport {
    let phases: [NoisyNeighbourBenchmark.Phase]
    let shape: HostileShape
    let seconds: Int

    /// Issue 10 item 26: B's p99 beside A at most twice its p99 alone.
    static let targetRatio = 2.0

    func print() {
        phaseTable()
        summaryTable()
        hostileTable()
        for phase in phases {
            if let failure = phase.neighbour.firstFailure { Swift.print("\nB's first failure (phase with A sending \(Self.names(phase.kinds))): \(failure)") }
        }
    }

    private func phaseTable() {
        Swift.print("""

            ### Phases: B's calls at concurrency 1, \(seconds) s per phase

            A: regex input \(shape.regexLength) a's and "!", batches of \(shape.batchSize), a \(shape.toolsListMiB) MiB tools/list, \
            \(shape.concurrency) requests in flight per kind (approvals: \(shape.approvalConcurrency), each held 1 s), at most \(shape.maxRequestsPerPhase) per kind per phase.

            | phase | A sends | waited for idle before, s | B calls | B failed | B p50 µs | B p99 µs | B max µs | gateway CPU s | control plane CPU s | benchmark process CPU s |
            |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
            """)
        for (index, phase) in phases.enumerated() {
            let latencies = phase.neighbour.latencies
            let settle = String(format: "%.1f", phase.settle.seconds) + (phase.settle.idle ? "" : " (never idle)")
            Swift.print("| \(index + 1) | \(Self.names(phase.kinds)) | \(settle) | \(latencies.count) | \(phase.neighbour.failures) | \(Self.microseconds(latencies, 0.5)) | \(Self.microseconds(latencies, 0.99)) | \(Self.microseconds(latencies, 1)) | \(Self.oneDecimal(phase.gatewayCPU)) | \(Self.oneDecimal(phase.controlPlaneCPU)) | \(Self.oneDecimal(phase.ownCPU)) |")
        }
    }

    /// B's calls pooled: every phase where B is alone, then each set of A's kinds.
    private func summaryTable() {
        let alone = pooled { $0.isEmpty }
        let aloneP99 = Report.percentile(alone.latencies, 0.99)
        Swift.print("""

            ### B's latency alone and beside A

            | B's calls | calls | failed | p50 µs | p99 µs | p99 / p99 alone |
            |---|---:|---:|---:|---:|---:|
            """)
        Swift.print("| alone | \(alone.latencies.count) | \(alone.failures) | \(Self.microseconds(alone.latencies, 0.5)) | \(Self.microseconds(alone.latencies, 0.99)) | 1.00 |")
        var verdicts: [String] = []
        var seen: [[HostileKind]] = []
        for phase in phases where !phase.kinds.isEmpty && !seen.contains(phase.kinds) {
            seen.append(phase.kinds)
            let beside = pooled { $0 == phase.kinds }
            let ratio = Report.percentile(beside.latencies, 0.99) / aloneP99
            Swift.print("| beside A: \(Self.names(phase.kinds)) | \(beside.latencies.count) | \(beside.failures) | \(Self.microseconds(beside.latencies, 0.5)) | \(Self.microseconds(beside.latencies, 0.99)) | \(String(format: "%.2f", ratio)) |")
            let met = beside.failures == 0 && !beside.latencies.isEmpty && ratio <= Self.targetRatio
            verdicts.append("\(Self.names(phase.kinds)): \(Report.verdict(met))")
        }
        Swift.print("\nTarget (issue 10 item 26): B's p99 beside A ≤ \(Int(Self.targetRatio))× alone, no call of B failing. " + verdicts.joined(separator: "; "))
    }

    private func hostileTable() {
        Swift.print("""

            ### What A's requests got (all phases)

            | A's traffic | HTTP requests | MiB received | outcomes per JSON-RPC message (a batch counts each element) |
            |---|---:|---:|---|
            """)
        for kind in HostileKind.allCases {
            var total = HostileTally()
            for phase in phases { if let tally = phase.hostile[kind] { total.add(tally) } }
            guard total.requests > 0 else { continue }
            let outcomes = total.outcomes.sorted { $0.value > $1.value }.map { "\($0.key) ×\($0.value)" }.joined(separator: "; ")
            Swift.print("| \(kind.label) | \(total.requests) | \(Self.oneDecimal(Double(total.bytesReceived) / Double(1 << 20))) | \(outcomes) |")
        }
    }

    private func pooled(_ matches: ([HostileKind]) -> Bool) -> LoadGenerator.TimedCalls {
        var total = LoadGenerator.TimedCalls()
        for phase in phases where matches(phase.kinds) {
            total.latencies += phase.neighbour.latencies
            total.failures += phase.neighbour.failures
        }
        return total
    }

    private static func names(_ kinds: [HostileKind]) -> String {
        kinds.isEmpty ? "nothing (B alone)" : kinds.map(\.rawValue).joined(separator: ", ")
    }

    private static func microseconds(_ samples: [Double], _ fraction: Double) -> String {
        samples.isEmpty ? "-" : Report.microseconds(Report.percentile(samples, fraction))
    }

    private static func oneDecimal(_ value: Double) -> String { String(format: "%.1f", value) }
}
