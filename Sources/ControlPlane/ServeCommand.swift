import ArgumentParser
import Hummingbird
import Logging
import Shared
import Tracing

/// `controlplane serve`: migrates the schema, then serves the admin API until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Migrate the database, then serve the admin API, console and worker snapshots."
    )

    @OptionGroup var options: ControlPlaneOptions
    @OptionGroup var common: CommonOptions
    @OptionGroup var tracing: TracingOptions

    func run() async throws {
        bootstrapLogging(format: common.logFormat, level: common.logLevel)
        let logger = Logger(label: "portcullis.controlplane")
        let tracing = try tracing.makeBackend(defaultServiceName: "portcullis-controlplane", logger: logger)
        // Hummingbird's TracingMiddleware uses the process-wide tracer.
        if let tracing { InstrumentationSystem.bootstrap(tracing.tracer) }
        let app = try await buildApplication(options: options, common: common, tracing: tracing, metrics: bootstrapMetrics(), logger: logger)
        try await app.runService()
    }
}
