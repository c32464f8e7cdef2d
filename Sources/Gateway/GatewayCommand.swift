import ArgumentParser
import NIOCore
import NIOPosix

/// `gateway serve`
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Portcullis gateway worker: the MCP endpoint that enforces policy on every tool call.",
        subcommands: [ServeCommand.self],
        defaultSubcommand: ServeCommand.self
    )

    /// Swift concurrency runs on NIO's event loops (issue 5 item 11): a request then no longer hops
    /// between the loop that reads it and a separate thread pool for every `await`, which cost
    /// about a quarter of the gateway's CPU (docs/performance.md). This must happen on the main
    /// thread before any other task exists, hence here, first thing.
    static func main() async {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await main(nil)
    }
}
