import Hummingbird
import Logging
import NIOPosix
import Prometheus
import ServiceLifecycle
import Shared

/// Builds a gateway worker. Long-lived parts are services of the application: the snapshot
/// client, the upstream HTTP client, and with a database the pool, the audit shipper and the
/// approval watcher. A worker with `--counters memory` and no database keeps its audit events in
/// the spool (they ship once a database is configured) and denies calls that need approval.
func buildApplication(
    options: GatewayOptions,
    common: CommonOptions,
    tracing: TracingBackend? = nil,
    metrics: PrometheusCollectorRegistry,
    logger: Logger
) async throws -> some ApplicationProtocol {
    guard let keyRing = try common.keyRing() else { throw ConfigurationError("--secret-keys is required") }
    let snapshots = SnapshotStore()
    let addressGuard = UpstreamAddressGuard(policy: try common.upstreamAddressPolicy())
    // One group for the HTTP server and the upstream clients (issue 11 item 4): a request's
    // upstream call runs on the loop that read the request.
    let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
    let upstream = UpstreamClient(
        addressGuard: addressGuard, clientLimit: options.maxUpstreamClients, eventLoopGroup: eventLoopGroup, logger: logger)
    let gatewayMetrics = GatewayMetrics()
    guard options.auditSyncInterval >= 0 else { throw ConfigurationError("--audit-sync-interval must be 0 or more milliseconds") }
    let spool = try await AuditSpool.open(
        path: options.auditSpoolDir, sizeLimit: options.auditSpoolMaxBytes, durability: options.auditDurability,
        syncInterval: .milliseconds(options.auditSyncInterval), logger: logger)
    let rewritePool = AnswerRewritePool(threads: options.answerRewriteThreads, niceness: Int32(options.answerRewriteNiceness))
    // First, so it stops last: its graceful shutdown writes and syncs what the server and the
    // shipper left queued (`response` rows are queued without waiting).
    var services: [any Service] = [
        spool,
        SnapshotClient(
            controlPlaneURL: options.controlPlaneURL,
            workerToken: options.workerToken,
            store: snapshots,
            file: options.snapshotFile.map {
                SnapshotFile(path: $0, maxAge: options.snapshotFileMaxAge == 0 ? nil : .seconds(options.snapshotFileMaxAge))
            },
            workerID: options.workerID,
            logger: logger
        ),
        upstream,
        rewritePool,
    ]
    if options.heapTrimInterval > 0 { services.append(HeapTrimmer(interval: .seconds(options.heapTrimInterval))) }
    let approvalWebhook = ApprovalWebhook(
        signing: ApprovalWebhookSigning(keyRing: keyRing),
        addressGuard: addressGuard,
        logger: logger)
    let driftReporter = DriftReporter(controlPlaneURL: options.controlPlaneURL, workerToken: options.workerToken, logger: logger)
    services += [approvalWebhook, driftReporter]
    var counters: any CounterStore = MemoryCounterStore()
    var approvals: ApprovalHold?
    let fingerprint = ApprovalFingerprint(keyRing: keyRing)
    let admission = AccountAdmission(limits: .init(
        working: options.accountWorkingRequests, open: options.accountOpenRequests, held: options.accountHeldCalls))
    if common.databaseURL != nil {
        let database = try common.openDatabase(logger: logger)
        let watcher = ApprovalDecisionWatcher(database: database)
        // After the HTTP server in stopping order (services stop last to first, the server before
        // them all), so its drain at shutdown ships the events of the last calls too.
        services += [database, watcher, AuditShipper(
            spool: spool, database: database, chainKeys: AuditChainKeys(keyRing: keyRing), metrics: gatewayMetrics,
            drainTimeout: .seconds(options.shutdownDrainTimeout), logger: logger)]
        if options.counters == .postgres {
            // After the database in the list, so it stops first: its shutdown gives the leased
            // units back while the pool still runs.
            let store = PostgresCounterStore(database: database, logger: logger)
            counters = store
            services.append(store)
        }
        approvals = ApprovalHold(
            ledger: PostgresApprovalLedger(database: database, requestsPerGrantPerMinute: options.approvalRequestsPerMinute),
            watcher: watcher, keepAliveInterval: .seconds(options.approvalKeepAlive), admission: admission, logger: logger)
    }
    let resource = ProtectedResource(publicGatewayURL: try options.validatedPublicGatewayURL())
    let liveDefinitions = LiveToolDefinitions()
    let auditor = RequestAuditor(spool: spool, workerID: options.workerID, metrics: gatewayMetrics, logger: logger)
    let endpoint = MCPEndpoint(
        snapshots: snapshots,
        judge: ToolCallJudge(
            counters: counters,
            approvals: approvals,
            approvalRequested: { approvalWebhook.requested($0) },
            auditor: auditor,
            argumentsFingerprint: fingerprint,
            liveDefinitions: liveDefinitions,
            metrics: gatewayMetrics),
        forwarder: UpstreamForwarder(
            sessions: SessionSealer(keyRing: keyRing),
            credentials: SecretSealer(keyRing: keyRing, purpose: .upstreamCredentials),
            upstream: upstream,
            relay: UpstreamRelay(maxEventBytes: options.maxEventBytes, metrics: gatewayMetrics, rewritePool: rewritePool),
            liveDefinitions: liveDefinitions,
            reportDrift: { driftReporter.report(serverID: $0, tool: $1, observedHash: $2) },
            metrics: gatewayMetrics,
            logger: logger),
        heldCalls: approvals.map { HeldCallStream(approvals: $0, metrics: gatewayMetrics) },
        auditor: auditor,
        admission: admission,
        parsePool: rewritePool,
        metrics: gatewayMetrics,
        limits: MCPEndpoint.Limits(
            maxBodyBytes: options.maxBodyBytes, bodyReadTimeout: .seconds(options.bodyReadTimeout), maxEventBytes: options.maxEventBytes,
            maxBatchElements: options.maxBatchSize),
        allowedOrigins: Set(options.allowedOrigin),
        resource: resource
    )
    // First of all, so it stops last and exports the spans of the last requests.
    if let tracing { services.insert(tracing.service, at: 0) }
    return Application(
        router: buildRouter(
            metrics: metrics, snapshots: snapshots, endpoint: endpoint, tracing: tracing.map { MCPTracing(tracer: $0.tracer) }),
        server: .http1OnConnectionLoop(idleTimeout: .seconds(Int64(options.idleTimeout))),
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "portcullis-gateway"),
        services: services,
        eventLoopGroupProvider: .shared(eventLoopGroup),
        logger: logger
    )
}

func buildRouter(
    metrics: PrometheusCollectorRegistry, snapshots: SnapshotStore, endpoint: MCPEndpoint, tracing: MCPTracing? = nil
) -> Router<GatewayRequestContext> {
    let router = Router(context: GatewayRequestContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: PublicCORSMiddleware(isPublic: ProtectedResource.isMetadataPath))
    // Ready only once a policy snapshot is in force (design.md §5.10): before that every call would be refused.
    OperationalRoutes(registry: metrics) {
        snapshots.snapshot.map { .ready("ready: policy snapshot \($0.version)") } ?? .notReady("no policy snapshot loaded")
    }.add(to: router)
    MCPRoutes(endpoint: endpoint, tracing: tracing).add(to: router)
    ProtectedResourceRoutes(resource: endpoint.resource, snapshots: snapshots).add(to: router)
    return router
}

struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
