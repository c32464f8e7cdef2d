import NIOPosix
import Logging
import ServiceLifecycle

/// The project's only door to PostgreSQL: a fixed pool of libpq connections whose blocking calls
/// run on a dedicated thread pool. It is a `Service`, so the application's `ServiceGroup` closes
/// it after the servers that use it have stopped.
public final class Database: Sendable, Service {
    private let pool: ConnectionPool
    public let conninfo: String
    /// Where `listen(to:)` connects: `conninfo` unless the caller names a direct connection.
    public let listenConninfo: String
    let logger: Logger

    /// - Parameters:
    ///   - conninfo: a libpq connection string or URL, handed to libpq untouched but for the
    ///     timeouts it leaves unset (`ConnectionTimeouts`).
    ///   - listenConninfo: the connection for `LISTEN` when it must differ from `conninfo`: a
    ///     PgBouncer in transaction pooling hands each transaction to any server connection, so a
    ///     `LISTEN` through it is lost (issue 13 item 5); listeners then connect directly.
    ///   - leaseTimeout: how long a caller waits for a free connection before `poolTimeout`. The
    ///     binaries pass `--database-pool-timeout` (5 s); this default is for callers without a
    ///     hot path (tools, tests), whose queues may legitimately be long.
    ///   - reconnectBackoff: the pauses between attempts to open a connection after one failed
    ///     (`ReconnectGate`); callers needing a new connection meanwhile fail at once.
    public init(
        conninfo: String, listenConninfo: String? = nil, poolSize: Int = 8, leaseTimeout: Duration = .seconds(30),
        reconnectBackoff: ReconnectBackoff = ReconnectBackoff(), logger: Logger
    ) {
        self.conninfo = conninfo
        self.listenConninfo = listenConninfo ?? conninfo
        self.pool = ConnectionPool(conninfo: conninfo, size: poolSize, leaseTimeout: leaseTimeout, reconnectBackoff: reconnectBackoff)
        self.logger = logger
    }

    /// Attempts to open a pooled connection so far, successful or not.
    var connectionAttempts: Int { pool.reconnectGate.attempts }

    /// Runs one statement on a pooled connection and returns its rows.
    @discardableResult
    public func query(_ query: SQLQuery) async throws -> [Row] {
        try await execute(query).rows
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    public func execute(_ query: SQLQuery) async throws -> QueryResult {
        try await withSession { try await $0.execute(query) }
    }

    /// Runs one statement on a pooled connection, outside any transaction (one round trip), and
    /// fails `connectionLost` when its answer has not arrived within `answerTimeout`.
    @discardableResult
    public func query(_ query: SQLQuery, answerTimeout: Duration) async throws -> [Row] {
        try await withSession { session in
            var session = session
            session.answerTimeout = answerTimeout
            return try await session.query(query)
        }
    }

    /// Runs `body` on one connection, outside any transaction.
    public func withSession<T>(_ body: (DatabaseSession) async throws -> T) async throws -> T {
        try await pool.withConnection { connection in
            try await body(DatabaseSession(connection: connection, threadPool: pool.threadPool))
        }
    }

    /// Runs `body` in a transaction on one connection: committed when `body` returns, rolled back
    /// when it throws (the error is rethrown). With `statementTimeout` the server cancels any of its
    /// statements that runs longer (`SET LOCAL statement_timeout`, sent with `BEGIN` in one round
    /// trip), and a statement whose answer has not arrived a second later fails `connectionLost`
    /// (`DatabaseSession.answerTimeout`).
    @discardableResult
    public func transaction<T>(
        isolation: IsolationLevel = .readCommitted,
        statementTimeout: Duration? = nil,
        _ body: (DatabaseSession) async throws -> T
    ) async throws -> T {
        try await withSession { session in
            var session = session
            var begin = "BEGIN ISOLATION LEVEL \(isolation.rawValue)"
            if let statementTimeout {
                let milliseconds = max(1, statementTimeout.wholeMilliseconds)
                begin += "; SET LOCAL statement_timeout = \(milliseconds)"
                // The server's cancellation answer needs a moment to arrive; past that, nobody is answering.
                session.answerTimeout = statementTimeout + .seconds(1)
            }
            try await session.execute(SQLQuery(unsafeSQL: begin))
            let value: T
            do {
                value = try await body(session)
            } catch {
                do {
                    try await session.execute("ROLLBACK")
                } catch let rollbackError {
                    // The connection is broken; the pool reopens it on next use.
                    logger.warning("rollback failed", metadata: ["db.error": "\(rollbackError)"])
                }
                throw error
            }
            try await session.execute("COMMIT")
            return value
        }
    }

    /// Sends `NOTIFY channel, payload`; listeners on any connection receive it after commit.
    public func notify(channel: String, payload: String) async throws {
        try await execute("SELECT pg_notify(\(channel), \(payload))")
    }

    /// A sequence of notifications on `channels`, on a connection of its own to `listenConninfo`
    /// (see `NotificationListener`).
    public func listen(to channels: [String]) -> NotificationListener {
        NotificationListener(conninfo: listenConninfo, channels: channels, logger: logger)
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    public func close() async {
        await pool.close()
    }

    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }
}

/// One connection lent to a caller: inside `Database.withSession` or `Database.transaction`.
public struct DatabaseSession: Sendable {
    let connection: PostgresConnection
    let threadPool: NIOThreadPool
    /// How long each statement may wait for its answer; nil waits as long as the connection lives.
    var answerTimeout: Duration?

    @discardableResult
    public func execute(_ query: SQLQuery) async throws -> QueryResult {
        try await threadPool.runIfActive { [answerTimeout] in try connection.execute(query, answerTimeout: answerTimeout) }
    }

    @discardableResult
    public func query(_ query: SQLQuery) async throws -> [Row] {
        try await execute(query).rows
    }

    /// Runs `statement`, a `COPY table (columns) FROM STDIN` written in code (it takes no
    /// parameters), with `rows` as its data; returns how many rows the server stored.
    @discardableResult
    public func copy(_ statement: SQLQuery, rows: CopyRows) async throws -> Int {
        precondition(statement.binds.isEmpty, "COPY takes its values as rows, not as parameters")
        return try await threadPool.runIfActive { [answerTimeout] in
            try connection.copy(statement.sql, rows: rows, answerTimeout: answerTimeout)
        }
    }

    /// Runs CPU-bound work for this session (building the rows of a large statement) on the
    /// database thread pool instead of the cooperative pool the request handlers run on. The pool
    /// has one thread per connection, so the session's own lease stands for the thread it uses.
    public func compute<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }

    /// The server process id of this connection (for `pg_terminate_backend` in tests, and logs).
    public var backendPID: Int32 { connection.backendPID }
}
