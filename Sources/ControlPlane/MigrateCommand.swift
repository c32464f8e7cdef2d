import ArgumentParser
import Logging
import Shared

/// `controlplane migrate`: applies pending migrations and exits.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (also done at start-up), then exit.",
        discussion: """
            Also creates, once per cluster, the roles the processes use: portcullis_app (the control \
            plane's request path, NOLOGIN) and portcullis_worker (gateway workers' --database-url, LOGIN \
            without a password: set one or allow it in pg_hba.conf). Needs CREATEROLE the first time.
            """
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await common.withDatabase { database, logger in
            let applied = try await MigrationRunner(database: database, migrations: Migration.bundled()).apply(logger: logger)
            logger.info("schema is current", metadata: ["migrations.applied": "\(applied.count)"])
        }
    }
}
