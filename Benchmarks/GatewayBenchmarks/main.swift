import Foundation
import TestSupport

// The gateway's benchmarks (design.md §10, issue 11, docs/performance.md), one subcommand each; the
// end-to-end one without a subcommand. `make bench` runs them all.
// Run: swift build -c release --scratch-path .build-bench
//      .build-bench/release/GatewayBenchmarks [syscalls|floor|propagation|audit|shipping|memory|noisy] [options]

let signalSources = BenchmarkStack.killChildrenOnSignals()

var exitCode: Int32 = 0
do {
    var arguments = Array(CommandLine.arguments.dropFirst())
    let subcommand = arguments.first.flatMap { $0.hasPrefix("-") ? nil : $0 }
    if subcommand != nil { arguments.removeFirst() }
    if subcommand != "noisy", subcommand != "shipping", arguments.contains(where: { $0 == "--help" || $0 == "-h" }) {
        print(Options.usage)
        exit(0)
    }
    switch subcommand {
    case nil: try await GatewayBenchmark(options: Options(arguments)).run()
    case "syscalls": try await SyscallBenchmark(options: Options(arguments)).run()
    case "floor": try await FloorBenchmark(options: Options(arguments)).run()
    // The floor benchmark's proxy, started by it as a child process (FloorProxy).
    case "floor-proxy": try await FloorProxy.serve(arguments)
    case "propagation": try await PropagationBenchmark(options: Options(arguments)).run()
    case "audit": try await AuditBenchmark(options: Options(arguments)).run()
    case "shipping": try await ShippingBenchmark(options: ShippingBenchmark.Options(arguments)).run()
    case "memory": try await MemoryBenchmark(options: Options(arguments)).run()
    case "noisy": try await NoisyNeighbourBenchmark(options: NoisyNeighbourOptions(arguments)).run()
    default: throw BenchmarkError(Options.usage)
    }
} catch {
    print("\nbenchmark failed: \(String(reflecting: error))")
    exitCode = 1
}
await BenchmarkStack.stopChildren()
BenchmarkStack.removeTemporaryFolders()
exit(exitCode)
