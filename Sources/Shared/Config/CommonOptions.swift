import ArgumentParser
import Logging

/// Options both binaries take. Each help text names its environment variable.
public struct CommonOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("database-url"), help: "PostgreSQL connection: a libpq conninfo string or postgresql:// URL, passed to libpq untouched (multi-host failover, .pgpass and sslmode work) except that connect_timeout=5, keepalives (idle 5 s, interval 2 s, count 3) and tcp_user_timeout=10000 are added when it does not set them. Env: PORTCULLIS_DATABASE_URL.")
    var databaseURLFlag: String?

    @Option(name: .customLong("database-listen-url"), help: "PostgreSQL connection for LISTEN only (the control plane's change watcher, the gateway's approval watcher): one connection per process, kept open. Set it to a direct connection when --database-url goes through PgBouncer in transaction pooling, which cannot carry LISTEN. Default: --database-url. Env: PORTCULLIS_DATABASE_LISTEN_URL.")
    var databaseListenURLFlag: String?

    @Option(help: "Number of PostgreSQL connections in the pool. Env: PORTCULLIS_DATABASE_POOL_SIZE.")
    public var databasePoolSize: Int = EnvironmentVariables.int("PORTCULLIS_DATABASE_POOL_SIZE") ?? 8

    @Option(help: "Seconds a caller waits for a free pooled PostgreSQL connection before the call fails (a rate limit then applies its `fail` setting). Env: PORTCULLIS_DATABASE_POOL_TIMEOUT.")
    public var databasePoolTimeout: Int = EnvironmentVariables.int("PORTCULLIS_DATABASE_POOL_TIMEOUT") ?? 5

    @Option(name: .customLong("secret-keys"), help: "Secret keys as v2:BASE64,v1:BASE64 (32-byte keys, the first is active; older ones still decrypt). Env: PORTCULLIS_SECRET_KEYS.")
    var secretKeysFlag: String?

    @Option(help: "Upstream address ranges allowed despite the SSRF guard, for every account (repeatable, CIDR); give workers the same as the control plane. One account's own ranges: `controlplane account-upstream-cidrs`. Env: PORTCULLIS_ALLOW_UPSTREAM_CIDRS (comma-separated).")
    public var allowUpstreamCIDR: [String] = EnvironmentVariables.list("PORTCULLIS_ALLOW_UPSTREAM_CIDRS")

    @Flag(inversion: .prefixedNo, help: "Allow plain http:// upstream URLs (credentials then cross the network in clear; for loopback demos and tests). Env: PORTCULLIS_ALLOW_PLAIN_HTTP_UPSTREAMS=true.")
    public var allowPlainHTTPUpstreams: Bool = EnvironmentVariables.string("PORTCULLIS_ALLOW_PLAIN_HTTP_UPSTREAMS") == "true"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Env: PORTCULLIS_LOG_LEVEL.")
    public var logLevel: Logger.Level = EnvironmentVariables.string("PORTCULLIS_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info

    @Option(help: "Log format: json (one object per line) or text. Env: PORTCULLIS_LOG_FORMAT.")
    public var logFormat: LogFormat = EnvironmentVariables.string("PORTCULLIS_LOG_FORMAT").flatMap(LogFormat.init(rawValue:)) ?? .text

    public init() {}

    // Optional settings cannot carry their environment fallback as an option default
    // (ArgumentParser deprecates optional options with defaults), so they resolve here.
    public var databaseURL: String? { databaseURLFlag ?? EnvironmentVariables.string("PORTCULLIS_DATABASE_URL") }
    public var databaseListenURL: String? { databaseListenURLFlag ?? EnvironmentVariables.string("PORTCULLIS_DATABASE_LISTEN_URL") }
    public var secretKeys: String? { secretKeysFlag ?? EnvironmentVariables.string("PORTCULLIS_SECRET_KEYS") }

    public func validate() throws {
        guard databasePoolSize > 0 else { throw ValidationError("--database-pool-size must be at least 1") }
        guard databasePoolTimeout > 0 else { throw ValidationError("--database-pool-timeout must be at least 1 second") }
        if databaseListenURL != nil, databaseURL == nil {
            throw ValidationError("--database-listen-url needs --database-url (or PORTCULLIS_DATABASE_URL): it only moves LISTEN to another connection")
        }
        if let secretKeys { _ = try SecretKeyRing(parsing: secretKeys) }
        _ = try upstreamAddressPolicy()
    }

    /// The database pool; its `run()` closes it when the service group shuts down.
    public func openDatabase(logger: Logger) throws -> Database {
        guard let databaseURL else {
            throw ValidationError("a database is required: pass --database-url or set PORTCULLIS_DATABASE_URL")
        }
        return Database(
            conninfo: databaseURL, listenConninfo: databaseListenURL, poolSize: databasePoolSize,
            leaseTimeout: .seconds(databasePoolTimeout), logger: logger)
    }

    /// What upstream URLs may point at: the SSRF guard's exceptions.
    public func upstreamAddressPolicy() throws -> UpstreamAddressPolicy {
        let networks = try allowUpstreamCIDR.map { text in
            guard let network = IPNetwork(text) else {
                throw ValidationError("--allow-upstream-cidr \(text) is not a CIDR block such as 127.0.0.0/8 (host bits must be zero)")
            }
            return network
        }
        return UpstreamAddressPolicy(allowsPlainHTTP: allowPlainHTTPUpstreams, allowedNetworks: networks)
    }

    /// The key ring, or nil when no keys were given.
    public func keyRing() throws -> SecretKeyRing? {
        try secretKeys.map(SecretKeyRing.init(parsing:))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
