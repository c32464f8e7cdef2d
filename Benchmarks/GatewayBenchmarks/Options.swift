import Foundation

/// The options of the hot-path benchmarks (every subcommand but `noisy`, which has its own);
/// each subcommand reads the ones it needs.
struct Options {
    var calls = 2000
    var concurrency = 32
    var seconds = 10
    var directOnly = false
    var nginx = true
    var spoolParent = NSTemporaryDirectory()
    var windowSeconds = 3
    var workers = 4
    var flips = 24
    var killAfterSeconds = 3
    var memoryCalls = 100_000
    var soakMinutes = 2
    var streams = 200
    /// floor: a second gateway binary beside this one (e.g. `gateway-before`, a copy of an earlier
    /// build), measured in the same run as the built one.
    var baselineGateway: String?

    static let usage = """
        usage: GatewayBenchmarks [SUBCOMMAND] [options]
          (none)        end to end: direct, nginx and the gateway ((a) no limit, (b) a limit in PostgreSQL, each
                        with every --audit-durability the gateway offers) at concurrency 1 (alternating and back to
                        back) and at saturation
          syscalls      context switches, CPU and system calls per call (perf stat, strace -c, /proc), c=1 and c=32
          floor         direct, nginx, a bare Hummingbird + AsyncHTTPClient proxy (the stack's floor) and the gateway's
                        no-limit path: c=1, saturation, and the per-call cost of the floor and the gateway
          propagation   policy flips through the API, time until every worker enforces them, unloaded and loaded
          audit         audit rows shipped per second under load and draining; kill -9 and every answered call's row
          memory        worker RSS idle, after --memory-calls calls, over a soak, and per open event stream
          shipping      the audit shipper draining a pre-spooled backlog, alone and beside load (shipping --help)
          noisy         the noisy-neighbour benchmark (noisy --help)
        options:
          --calls N            calls per path at concurrency 1 (default 2000)
          --concurrency N      concurrent callers at saturation and under load (default 32)
          --seconds N          seconds per path at saturation, in two rounds; audit: seconds of load (default 10)
          --spool-dir F        where the workers' audit spool folders are made (default: the temporary folder;
                               its file system decides what each fdatasync costs)
          --no-nginx           skip the nginx baseline
          --direct-only        only the direct path (no gateway)
          --window-seconds N   syscalls: seconds under perf, then under strace, per cell (default 3)
          --workers N          propagation: gateway workers (default 4)
          --flips N            propagation: policy flips per phase (default 24)
          --kill-after N       audit: seconds of calls before the worker is killed (default 3)
          --memory-calls N     memory: calls before the soak (default 100000)
          --soak-minutes N     memory: minutes of soak under load (default 2; docs/performance.md shows 10)
          --streams N          memory: open event streams (default 200)
          --baseline-gateway B floor: also measure the gateway binary B of the release folder (a copy of an
                               earlier build, e.g. gateway-before) in the same run, interleaved with this one
        """

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func number() throws -> Int {
            guard let text = rest.popFirst(), let value = Int(text), value > 0 else { throw BenchmarkError(Self.usage) }
            return value
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--calls": calls = try number()
            case "--concurrency": concurrency = try number()
            case "--seconds": seconds = try number()
            case "--spool-dir":
                guard let folder = rest.popFirst() else { throw BenchmarkError(Self.usage) }
                spoolParent = folder
            case "--direct-only": directOnly = true
            case "--no-nginx": nginx = false
            case "--window-seconds": windowSeconds = try number()
            case "--workers": workers = try number()
            case "--flips": flips = try number()
            case "--kill-after": killAfterSeconds = try number()
            case "--memory-calls": memoryCalls = try number()
            case "--soak-minutes": soakMinutes = try number()
            case "--streams": streams = try number()
            case "--baseline-gateway":
                guard let binary = rest.popFirst(), !binary.contains("/") else { throw BenchmarkError(Self.usage) }
                baselineGateway = binary
            default: throw BenchmarkError(Self.usage)
            }
        }
    }
}
