import Foundation

/// The options of `GatewayBenchmarks noisy`.
struct NoisyNeighbourOptions {
    var seconds = 8
    var rounds = 2
    var kinds = HostileKind.allCases
    var perKind = true
    var shape = HostileShape()
    var settleSeconds = 60
    var spoolParent = NSTemporaryDirectory()

    static let usage = """
        usage: GatewayBenchmarks noisy [--seconds N] [--rounds N] [--kinds K,K...] [--combined-only]
                                       [--regex-length N] [--batch-size N] [--tools-list-mib N]
                                       [--hostile-concurrency N] [--approval-concurrency N]
                                       [--max-requests N] [--settle-seconds N]
                                       [--spool-dir FOLDER]
          --seconds N              seconds per phase (default 8)
          --rounds N               rounds of (B alone, B beside A sending every kind) (default 2)
          --kinds K,K...           A's traffic: regex, batch, approval, tools-list (default all)
          --combined-only          skip the phases where A sends one kind at a time
          --regex-length N         a's before the "!" of the regex attack (default 16)
          --batch-size N           elements per batch (default 1000)
          --tools-list-mib N       size of the tools/list answer of A's upstream (default 6)
          --hostile-concurrency N  A's requests in flight per kind, approvals apart (default 2)
          --approval-concurrency N A's approval calls in flight, each held 1 s (default 32)
          --max-requests N         A's requests per kind per phase at most (default 2000)
          --settle-seconds N       before each phase, wait at most N s for the gateway and the
                                   control plane to go idle (default 60)
          --spool-dir F            where the gateway's audit spool folder is made (default: the
                                   temporary folder)
        """

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value() throws -> String {
            guard let text = rest.popFirst() else { throw BenchmarkError(Self.usage) }
            return text
        }
        func number() throws -> Int {
            guard let value = Int(try value()), value > 0 else { throw BenchmarkError(Self.usage) }
            return value
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--seconds": seconds = try number()
            case "--rounds": rounds = try number()
            case "--kinds":
                let names = try value().split(separator: ",").map(String.init)
                kinds = try names.map { name in
                    guard let kind = HostileKind(rawValue: name) else { throw BenchmarkError("unknown kind \(name)\n\(Self.usage)") }
                    return kind
                }
                guard !kinds.isEmpty else { throw BenchmarkError(Self.usage) }
            case "--combined-only": perKind = false
            case "--regex-length": shape.regexLength = try number()
            case "--batch-size": shape.batchSize = try number()
            case "--tools-list-mib": shape.toolsListMiB = try number()
            case "--hostile-concurrency": shape.concurrency = try number()
            case "--approval-concurrency": shape.approvalConcurrency = try number()
            case "--max-requests": shape.maxRequestsPerPhase = try number()
            case "--settle-seconds": settleSeconds = try number()
            case "--spool-dir": spoolParent = try value()
            default: throw BenchmarkError(Self.usage)
            }
        }
    }

    /// The phases in order: what A sends in each, nothing when B is alone. Each phase where A
    /// sends follows one where B is alone, so a drift of the machine's load touches both alike.
    var phases: [[HostileKind]] {
        let combined = Array(repeating: [[], kinds], count: rounds).flatMap { $0 }
        let single = perKind && kinds.count > 1 ? kinds.flatMap { [[], [$0]] } : []
        return combined + single
    }
}
