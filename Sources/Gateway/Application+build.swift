import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import Shared

/// Builds a gateway worker. The database pool (counters, approvals, audit shipping) is a service
/// closed after the server stops; a worker with `--counters memory` and no database runs without it.
func buildApplication(
    options: GatewayOptions,
    common: CommonOptions,
    metrics: PrometheusCollectorRegistry,
    logger: Logger
) throws -> some ApplicationProtocol {
    var services: [any Service] = []
    if common.databaseURL != nil {
        services.append(try common.openDatabase(logger: logger))
    }
    return Application(
        router: buildRouter(metrics: metrics),
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "portcullis-gateway"),
        services: services,
        logger: logger
    )
}

func buildRouter(metrics: PrometheusCollectorRegistry) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: MetricsMiddleware())
    // Ready only once a policy snapshot is loaded (SPEC 5.10); snapshot loading is issue #5.
    OperationalRoutes(registry: metrics) { .notReady("no policy snapshot loaded") }.add(to: router)
    return router
}
