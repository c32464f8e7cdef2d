import Hummingbird
import Logging
import Prometheus
import Shared

/// Builds the control plane: migrations first (under their advisory lock, so replicas may start
/// together), then the router, with the database pool as a service closed after the server stops.
func buildApplication(
    options: ControlPlaneOptions,
    common: CommonOptions,
    metrics: PrometheusCollectorRegistry,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let database = try common.openDatabase(logger: logger)
    do {
        try await MigrationRunner(database: database, migrations: Migration.bundled()).apply(logger: logger)
    } catch {
        // At start-up the detail (libpq's reason, the failing migration) is what the operator needs.
        logger.critical("cannot prepare the database", metadata: ["error": "\(String(reflecting: error))"])
        await database.close()
        throw error
    }
    let router = buildRouter(database: database, metrics: metrics)
    return Application(
        router: router,
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "portcullis-controlplane"),
        services: [database],
        logger: logger
    )
}

func buildRouter(database: Database, metrics: PrometheusCollectorRegistry) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: MetricsMiddleware())
    OperationalRoutes(registry: metrics) {
        do {
            try await database.query("SELECT 1 FROM schema_migrations LIMIT 1")
            return .ready
        } catch {
            return .notReady("database unavailable")
        }
    }.add(to: router)
    return router
}
