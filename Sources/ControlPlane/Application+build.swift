import Hummingbird
import Logging
import Prometheus
import Shared

/// Builds the control plane: migrations first (under their advisory lock, so replicas may start
/// together), then the router, with the database pool as a service closed after the server stops.
func buildApplication(
    options: ControlPlaneOptions,
    common: CommonOptions,
    tracing: TracingBackend? = nil,
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
    do {
        try await options.accountLimits.write(to: database)
    } catch {
        logger.critical("cannot store the account limits", metadata: ["error": "\(String(reflecting: error))"])
        await database.close()
        throw error
    }
    var configuration = APIConfiguration(signup: options.signup)
    configuration.publicGatewayURL = options.publicGatewayURL
    configuration.workerTokens = options.workerTokenList
    configuration.passwordHasher = PasswordHasher(iterations: options.passwordHashIterations)
    configuration.trustedProxies = TrustedProxies(try options.trustedProxyNetworks())
    configuration.maxConcurrentPasswordHashes = options.maxConcurrentPasswordHashes
    configuration.adminRequestRate = .perMinute(options.adminRequestsPerMinute)
    configuration.simulationRate = .perMinute(options.simulationsPerMinute)
    configuration.bodyReadTimeout = .seconds(options.bodyReadTimeout)
    configuration.apiKeyMaxLifetime = options.apiKeyMaxLifetimeDays == 0 ? nil : .seconds(options.apiKeyMaxLifetimeDays * 86_400)
    configuration.accountLimits = options.accountLimits
    configuration.upstreamAddressGuard = UpstreamAddressGuard(policy: try common.upstreamAddressPolicy())
    configuration.credentialSealer = try common.keyRing().map { SecretSealer(keyRing: $0, purpose: .upstreamCredentials) }
    configuration.approvalWebhookSigning = try common.keyRing().map(ApprovalWebhookSigning.init(keyRing:))
    configuration.auditChainKeys = try common.keyRing().map(AuditChainKeys.init(keyRing:))
    configuration.oauth = OAuthSettings(
        issuer: options.publicURL, accessTokenLifetime: .seconds(options.oauthAccessTokenLifetime),
        keySealer: try common.keyRing().map { SecretSealer(keyRing: $0, purpose: .oauthSigningKeys) })
    if let keys = configuration.oauth.signingKeys(database: database) {
        do {
            _ = try await keys.current()
        } catch {
            logger.critical("cannot prepare the OAuth signing key", metadata: ["error": "\(String(reflecting: error))"])
            await database.close()
            throw error
        }
    }
    let rediscovery = RediscoveryService(
        database: database, discovery: configuration.serverDiscovery(tenants: TenantDatabase(database: database)),
        interval: .seconds(options.rediscoveryInterval), logger: logger)
    let issuerKeys = IssuerKeyRefreshService(
        database: database, refresh: configuration.issuerKeyRefresh(tenants: TenantDatabase(database: database)),
        interval: .seconds(options.trustedIssuerRefreshInterval), logger: logger)
    let changeWatcher = ConfigChangeWatcher(database: database, logger: logger)
    let router = buildRouter(
        database: database, metrics: metrics, configuration: configuration, changeWatcher: changeWatcher, traced: tracing != nil)
    return Application(
        router: router,
        // The idle timeout also bounds a client that never finishes its headers (issue 10 item 12);
        // `--body-read-timeout` is `BodyReadDeadline`'s.
        server: .http1(configuration: .init(idleTimeout: .seconds(Int64(options.idleTimeout)))),
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "portcullis-controlplane"),
        // Shut down in reverse: the server stops first, then the watcher, then the pool, and the
        // span exporter last, so the spans of the last requests are sent.
        services: (tracing.map { [$0.service] } ?? []) + [
            database, changeWatcher, rediscovery, issuerKeys, CounterSweeper(database: database, logger: logger),
            OAuthRowSweeper(database: database, logger: logger),
            UpstreamOAuthRefresher(
                database: database, connect: configuration.upstreamOAuthConnect(tenants: TenantDatabase(database: database)),
                interval: .seconds(options.upstreamOAuthRefreshInterval), logger: logger),
            AuditPartitionMaintenance(
                database: database, retentionMonths: options.auditRetentionMonths == 0 ? nil : options.auditRetentionMonths, logger: logger),
        ],
        logger: logger
    )
}

/// The operational routes, the unauthenticated `/v1/signup` and `/v1/login`, and every
/// authenticated `/v1` resource. A new resource is a controller whose `addRoutes(to:)` takes the
/// `v1` group below: its handlers receive a `MemberRequestContext`, so none can run unauthenticated.
func buildRouter(
    database: Database,
    metrics: PrometheusCollectorRegistry,
    configuration: APIConfiguration = APIConfiguration(),
    changeWatcher: ConfigChangeWatcher? = nil,
    traced: Bool = false
) -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    // One span per API request named after its route template (issue 13 item 6), first so it
    // covers the others. It records no header and no body: API keys and passwords stay out.
    if traced { router.add(middleware: TracingMiddleware()) }
    router.add(middleware: MetricsMiddleware())
    // Outside ProblemMiddleware, so the OAuth endpoints' error answers carry the CORS header too.
    router.add(middleware: PublicCORSMiddleware { OAuthMetadataController.crossOriginPaths.contains($0) })
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: BodyReadDeadline(timeout: configuration.bodyReadTimeout))
    OperationalRoutes(registry: metrics) {
        do {
            try await database.query("SELECT 1 FROM schema_migrations LIMIT 1")
            return .ready
        } catch {
            return .notReady("database unavailable")
        }
    }.add(to: router)
    OpenAPIDocumentRoute().addRoute(to: router)
    ConsoleRoutes().addRoutes(to: router)
    // Outside the API-key group: the authorization server's redirect carries no key, its state is the capability.
    UpstreamOAuthCallbackController(
        connect: configuration.upstreamOAuthConnect(tenants: TenantDatabase(database: database)), database: database,
        throttle: AuthenticationThrottle(rate: configuration.oauthRate, proxies: configuration.trustedProxies)
    ).addRoutes(to: router)

    let tenants = TenantDatabase(database: database)
    let throttle = AuthenticationThrottle(rate: configuration.authenticationRate, proxies: configuration.trustedProxies)
    let passwordHashing = PasswordHashingSlots(hasher: configuration.passwordHasher, capacity: configuration.maxConcurrentPasswordHashes)
    SignupController(tenants: tenants, configuration: configuration, throttle: throttle, passwordHashing: passwordHashing).addRoutes(to: router)
    LoginController(tenants: tenants, configuration: configuration, throttle: throttle, passwordHashing: passwordHashing).addRoutes(to: router)
    let gatewayURLs = GatewayURLs(base: configuration.publicGatewayURL)
    if let signingKeys = configuration.oauth.signingKeys(database: database) {
        addOAuthRoutes(to: router, signingKeys: signingKeys, gatewayURLs: gatewayURLs, database: database, configuration: configuration)
    }

    let v1 = router.group("/v1")
        .add(middleware: APIKeyAuthenticator(tenants: tenants))
        .add(middleware: AccountRequestRate(limiter: ClientRateLimiter(rate: configuration.adminRequestRate, subject: "this account")))
        .group(context: MemberRequestContext.self)
    AccountController(tenants: tenants, webhookSigning: configuration.approvalWebhookSigning, addressGuard: configuration.upstreamAddressGuard)
        .addRoutes(to: v1)
    MembersController(tenants: tenants, passwordHashing: passwordHashing).addRoutes(to: v1)
    APIKeysController(tenants: tenants, lifetime: APIKeyLifetime(maximum: configuration.apiKeyMaxLifetime)).addRoutes(to: v1)
    IdentitiesController(tenants: tenants).addRoutes(to: v1)
    let upstreamOAuth = configuration.upstreamOAuthConnect(tenants: tenants)
    IdentityCredentialsController(tenants: tenants, sealer: configuration.credentialSealer, connect: upstreamOAuth).addRoutes(to: v1)
    TrustedIssuersController(tenants: tenants, refresh: configuration.issuerKeyRefresh(tenants: tenants)).addRoutes(to: v1)
    AdminAuditController(tenants: tenants).addRoutes(to: v1)
    ServersController(tenants: tenants, discovery: configuration.serverDiscovery(tenants: tenants), urls: gatewayURLs).addRoutes(to: v1)
    ToolsController(tenants: tenants).addRoutes(to: v1)
    PoliciesController(
        tenants: tenants, maxDocumentBytes: configuration.accountLimits.policyBytes,
        simulations: ClientRateLimiter(rate: configuration.simulationRate, subject: "this account's simulations")
    ).addRoutes(to: v1)
    GrantsController(tenants: tenants, urls: gatewayURLs).addRoutes(to: v1)
    OAuthRequestsController(tenants: tenants, settings: configuration.oauth, urls: gatewayURLs).addRoutes(to: v1)
    ApprovalsController(tenants: tenants).addRoutes(to: v1)
    AuditController(tenants: tenants, chainKeys: configuration.auditChainKeys).addRoutes(to: v1)
    UsageController(tenants: tenants).addRoutes(to: v1)
    SessionController(tenants: tenants).addRoutes(to: v1)

    // Workers' internal API. Without a running watcher (router tests), long-polls end at their timeout.
    let internalV1 = router.group("/internal/v1").add(middleware: WorkerTokenAuthenticator(tokens: configuration.workerTokens))
    WorkerController(
        store: SnapshotReader(database: database),
        watcher: changeWatcher ?? ConfigChangeWatcher(database: database, logger: Logger(label: "portcullis.controlplane")),
        database: database
    ).addRoutes(to: internalV1)
    return router
}

/// The OAuth authorization server's unauthenticated routes (issue 14 item 2), served only when
/// signing keys can be sealed. Their own rate limits, apart from signup and login's so a busy OAuth
/// client cannot lock members out of the console: registration (which stores a client) as strict
/// as signup, authorize and token by `oauthRate`.
private func addOAuthRoutes(
    to router: Router<APIRequestContext>, signingKeys: OAuthSigningKeyStore, gatewayURLs: GatewayURLs, database: Database,
    configuration: APIConfiguration
) {
    let settings = configuration.oauth
    let throttle = AuthenticationThrottle(rate: configuration.oauthRate, proxies: configuration.trustedProxies)
    let registrations = AuthenticationThrottle(rate: configuration.authenticationRate, proxies: configuration.trustedProxies)
    let registered = OAuthClientStore(database: database)
    let clients = OAuthClientDirectory(registered: registered, documents: ClientMetadataDocuments(addressGuard: configuration.upstreamAddressGuard))
    OAuthMetadataController(settings: settings, database: database).addRoutes(to: router)
    OAuthRegistrationController(store: registered, throttle: registrations).addRoutes(to: router)
    OAuthAuthorizeController(
        settings: settings, clients: clients, urls: gatewayURLs, database: database, tenants: TenantDatabase(database: database), throttle: throttle
    ).addRoutes(to: router)
    OAuthConsentPage().addRoutes(to: router)
    OAuthTokenController(
        tokens: OAuthTokenStore(database: database), signer: AccessTokenSigner(keys: signingKeys, settings: settings),
        authentication: OAuthClientAuthentication(clients: clients), throttle: throttle
    ).addRoutes(to: router)
}
