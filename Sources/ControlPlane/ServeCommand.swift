import ArgumentParser
import Hummingbird
import Logging
import Shared

/// `controlplane serve`: migrates the schema, then serves the admin API until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Migrate the database, then serve the admin API, console and worker snapshots."
    )

    @OptionGroup var options: ControlPlaneOptions
    @OptionGroup var common: CommonOptions

    func run() async throws {
        bootstrapLogging(format: common.logFormat, level: common.logLevel)
        let logger = Logger(label: "portcullis.controlplane")
        let app = try await buildApplication(options: options, common: common, metrics: bootstrapMetrics(), logger: logger)
        try await app.runService()
    }
}
