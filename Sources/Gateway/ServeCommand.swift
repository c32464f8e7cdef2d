import ArgumentParser
import Hummingbird
import Logging
import NIOCore
import Shared

/// `gateway serve`: serves the MCP endpoint until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the MCP endpoint, enforcing the policies of the latest snapshot."
    )

    @OptionGroup var options: GatewayOptions
    @OptionGroup var common: CommonOptions
    @OptionGroup var tracing: TracingOptions

    func validate() throws {
        if common.secretKeys == nil {
            throw ValidationError("--secret-keys (or PORTCULLIS_SECRET_KEYS) is required: session ids and upstream credentials are sealed with them")
        }
        for (name, value) in [("--max-body-bytes", options.maxBodyBytes), ("--max-event-bytes", options.maxEventBytes),
                              ("--audit-spool-max-bytes", options.auditSpoolMaxBytes), ("--body-read-timeout", options.bodyReadTimeout),
                              ("--idle-timeout", options.idleTimeout), ("--approval-keep-alive", options.approvalKeepAlive),
                              ("--max-batch-size", options.maxBatchSize),
                              ("--approval-requests-per-minute", options.approvalRequestsPerMinute),
                              ("--max-upstream-clients", options.maxUpstreamClients),
                              ("--answer-rewrite-threads", options.answerRewriteThreads),
                              ("--account-working-requests", options.accountWorkingRequests),
                              ("--account-open-requests", options.accountOpenRequests),
                              ("--account-held-calls", options.accountHeldCalls)] where value <= 0 {
            throw ValidationError("\(name) must be positive")
        }
        if !(0...19).contains(options.answerRewriteNiceness) {
            throw ValidationError("--answer-rewrite-niceness must be between 0 and 19")
        }
        if options.heapTrimInterval < 0 {
            throw ValidationError("--heap-trim-interval must be 0 (never) or more seconds")
        }
        if options.shutdownDrainTimeout < 0 {
            throw ValidationError("--shutdown-drain-timeout must be 0 (stop at once) or more seconds")
        }
        if options.snapshotFileMaxAge < 0 {
            throw ValidationError("--snapshot-file-max-age must be 0 (no maximum) or more")
        }
        if options.counters == .postgres, common.databaseURL == nil {
            throw ValidationError(
                "--counters postgres needs --database-url (or PORTCULLIS_DATABASE_URL); use --counters memory for a single worker without a database"
            )
        }
    }

    func run() async throws {
        // Before buildApplication starts the worker's threads, each of which would get an arena.
        HeapTrimmer.limitArenas(to: System.coreCount)
        bootstrapLogging(format: common.logFormat, level: common.logLevel)
        var logger = Logger(label: "portcullis.gateway")
        logger[metadataKey: "worker.id"] = "\(options.workerID)"
        let app = try await buildApplication(
            options: options, common: common, tracing: try tracing.makeBackend(defaultServiceName: "portcullis-gateway", logger: logger),
            metrics: bootstrapMetrics(), logger: logger)
        try await app.runService()
    }
}
