import Foundation
import TestSupport

// End-to-end benchmark (SPEC 10, docs/performance.md): the same tools/call sent directly to a
// fast upstream and through the gateway (and nginx, the throughput baseline), in one run.
// `GatewayBenchmarks noisy` runs the noisy-neighbour benchmark instead (NoisyNeighbourBenchmark),
// `GatewayBenchmarks shipping` the audit shipper's draining benchmark (ShippingBenchmark).
// Run: swift build -c release --scratch-path .build-bench
//      swift run -c release --scratch-path .build-bench GatewayBenchmarks [options]
//      swift run -c release --scratch-path .build-bench GatewayBenchmarks noisy [options]

struct Options {
    var calls = 2000
    var concurrency = 64
    var seconds = 10
    var directOnly = false
    var nginx = true
    var spoolParent = NSTemporaryDirectory()

    static let usage = """
        usage: GatewayBenchmarks [--calls N] [--concurrency N] [--seconds N] [--spool-dir FOLDER] [--no-nginx] [--direct-only]
               GatewayBenchmarks noisy [options]   (the noisy-neighbour benchmark; noisy --help)
               GatewayBenchmarks shipping [options]   (the audit shipper's drain rate; shipping --help)
          --calls N        calls per path at concurrency 1 (default 2000)
          --concurrency N  concurrent callers at saturation (default 64)
          --seconds N      seconds per path at saturation, in two rounds (default 10)
          --spool-dir F    where the gateway's audit spool folder is made (default: the temporary
                           folder; its file system decides what each fdatasync costs)
          --no-nginx       skip the nginx baseline
          --direct-only    only the direct path (no gateway)
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
            default: throw BenchmarkError(Self.usage)
            }
        }
    }
}

let signalSources = BenchmarkStack.killChildrenOnSignals()

var exitCode: Int32 = 0
do {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.first == "noisy" {
        try await NoisyNeighbourBenchmark(options: NoisyNeighbourOptions(Array(arguments.dropFirst()))).run()
    } else if arguments.first == "shipping" {
        try await ShippingBenchmark(options: ShippingBenchmark.Options(Array(arguments.dropFirst()))).run()
    } else {
        try await GatewayBenchmark(options: Options(arguments)).run()
    }
} catch {
    print("\nbenchmark failed: \(error)")
    exitCode = 1
}
await BenchmarkStack.stopChildren()
BenchmarkStack.removeTemporaryFolders()
exit(exitCode)
