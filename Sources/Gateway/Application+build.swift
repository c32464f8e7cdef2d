import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import Shared

/// Builds a gateway worker. The database pool (counters, approvals, audit shipping) is a service
/// closed after the server stops; a worker with `--counters memory` and no database runs without it.
/// The snapshot client runs beside the server: the worker is ready once a snapshot is in force.
func buildApplication(
    options: GatewayOptions,
    common: CommonOptions,
    metrics: PrometheusCollectorRegistry,
    logger: Logger
) throws -> some ApplicationProtocol {
    let snapshots = SnapshotStore()
    var services: [any Service] = [
        SnapshotClient(
            controlPlaneURL: options.controlPlaneURL,
            workerToken: options.workerToken,
            store: snapshots,
            file: options.snapshotFile.map(SnapshotFile.init(path:)),
            workerID: options.workerID,
            logger: logger
        ),
    ]
    if common.databaseURL != nil {
        services.append(try common.openDatabase(logger: logger))
    }
    return Application(
        router: buildRouter(metrics: metrics, snapshots: snapshots),
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "portcullis-gateway"),
        services: services,
        logger: logger
    )
}

func buildRouter(metrics: PrometheusCollectorRegistry, snapshots: SnapshotStore) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: MetricsMiddleware())
    // Ready only once a policy snapshot is in force (SPEC 5.10): before that every call would be refused.
    OperationalRoutes(registry: metrics) {
        snapshots.snapshot.map { .ready("ready: policy snapshot \($0.version)") } ?? .notReady("no policy snapshot loaded")
    }.add(to: router)
    return router
}
