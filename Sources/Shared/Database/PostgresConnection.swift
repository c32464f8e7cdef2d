import CLibPQ
import Foundation
import Logging

/// One libpq connection. Every method blocks: callers run them on the database thread pool only.
///
/// `@unchecked Sendable`: a connection is handed to exactly one holder at a time by
/// `ConnectionPool` (or owned by one `NotificationListener`), and that holder runs one call at a
/// time, so the `PGconn` is never touched by two threads at once.
final class PostgresConnection: @unchecked Sendable {
    private let conninfo: String
    private(set) var handle: OpaquePointer?

    /// Keeps the conninfo string or URL exactly as given: libpq itself reads multi-host lists,
    /// `target_session_attrs`, `sslmode` and `.pgpass`; only the timeouts the operator left unset
    /// are added (`ConnectionTimeouts`). Nothing connects until first use.
    init(conninfo: String) {
        self.conninfo = conninfo
    }

    deinit { close() }

    func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Makes the connection usable before a caller sends anything: opens it on first use,
    /// notices a backend that went away while idle (`pg_terminate_backend`, a server restart)
    /// and reconnects, and rolls back a transaction a previous holder left open. With a `gate`,
    /// opening waits for its pause after a failed attempt (`ReconnectGate`).
    func ensureReady(through gate: ReconnectGate? = nil) throws {
        guard let handle else { return try open(through: gate) }
        // An idle pooled connection has nothing to read unless the server is going away (a
        // terminated backend sends its FATAL message, then closes): reopen rather than wait for
        // the next statement to fail.
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) != 0 || PQstatus(handle) != CONNECTION_OK {
            close()
            return try open(through: gate)
        }
        switch PQtransactionStatus(handle) {
        case PQTRANS_INTRANS, PQTRANS_INERROR: try execute("ROLLBACK")
        default: break
        }
    }

    private func open(through gate: ReconnectGate?) throws {
        guard let gate else { return try open() }
        try gate.attempt { try open() }
    }

    private func open() throws {
        guard let opened = ConnectionTimeouts.connect(conninfo) else {
            throw DatabaseError(.connectionFailed, detail: "libpq could not allocate a connection")
        }
        guard PQstatus(opened) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(opened))
            PQfinish(opened)
            throw DatabaseError(.connectionFailed, detail: message)
        }
        handle = opened
        // libpq prints server notices to stderr by default, which would break JSON logs.
        PQsetNoticeProcessor(opened, { _, message in
            guard let message else { return }
            let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
            Logger(label: "portcullis.postgres").notice("server notice", metadata: ["db.notice": "\(text)"])
        }, nil)
        // Fixed session settings make decoding independent of the server's configuration.
        try execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3; SET client_min_messages = warning")
    }

    var backendPID: Int32 { handle.map(PQbackendPID) ?? 0 }

    /// Runs one statement. With no binds it uses the simple query protocol, so a migration file
    /// of many statements runs as one call; with binds it uses the extended protocol.
    ///
    /// With `answerTimeout`, an answer that has not fully arrived in time closes the connection
    /// and throws `connectionLost` (issue 10 item 21): a server that accepted the statement and
    /// then stopped answering (its process stopped, a proxy hung) cannot hold the caller, which
    /// neither `statement_timeout` (the server's own) nor TCP keepalives (answered by its kernel)
    /// prevent. The pool opens a new connection on next use.
    @discardableResult
    func execute(_ query: SQLQuery, answerTimeout: Duration? = nil) throws -> QueryResult {
        guard let handle else { throw DatabaseError(.connectionLost, detail: "connection is closed") }
        // libpq reads text-format parameters as C strings: a NUL would silently cut the value.
        if let index = query.binds.firstIndex(where: { $0.format == .text && $0.bytes?.contains(0) == true }) {
            throw DatabaseError(.malformedValue, detail: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold")
        }
        let result: OpaquePointer?
        if let answerTimeout {
            let sent = query.binds.isEmpty
                ? PQsendQuery(handle, query.sql)
                : Self.withBindArrays(query.binds) { types, values, lengths, formats in
                    PQsendQueryParams(handle, query.sql, Int32(query.binds.count), types, values, lengths, formats, 0)
                }
            guard sent == 1 else { throw connectionError("could not send the statement") }
            result = try lastResult(on: handle, until: .now + answerTimeout)
        } else if query.binds.isEmpty {
            result = PQexec(handle, query.sql)
        } else {
            result = Self.withBindArrays(query.binds) { types, values, lengths, formats in
                PQexecParams(handle, query.sql, Int32(query.binds.count), types, values, lengths, formats, 0)
            }
        }
        guard let result else { throw connectionError("no result from server") }
        defer { PQclear(result) }
        return try read(result, on: handle)
    }

    /// The result `PQexec` would return for a statement sent with `PQsendQuery*` (the last one, or
    /// the first error), reading only when the socket is readable and never past `deadline` (with no
    /// deadline, libpq's own blocking read waits as long as the connection lives).
    func lastResult(on handle: OpaquePointer, until deadline: ContinuousClock.Instant?) throws -> OpaquePointer? {
        var kept: OpaquePointer?
        while true {
            if let deadline {
                do {
                    try awaitAnswer(on: handle, until: deadline)
                } catch {
                    kept.map(PQclear)
                    throw error
                }
            }
            guard let result = PQgetResult(handle) else { return kept }
            if let previous = kept, !Self.succeeded(previous) {
                PQclear(result)
            } else {
                kept.map(PQclear)
                kept = result
            }
        }
    }

    /// Reads until libpq holds a whole answer (`PQgetResult` would not block); past `deadline` the
    /// connection is closed and `connectionLost` thrown.
    func awaitAnswer(on handle: OpaquePointer, until deadline: ContinuousClock.Instant) throws {
        while PQisBusy(handle) == 1 {
            let remaining = deadline - .now
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            let ready = remaining > .zero ? poll(&descriptor, 1, Int32(clamping: max(1, remaining.wholeMilliseconds))) : 0
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else {
                close()
                throw DatabaseError(.connectionLost, detail: "no answer from the server in time; the connection was closed")
            }
            guard PQconsumeInput(handle) == 1 else {
                throw connectionError("connection broke while waiting for an answer")
            }
        }
    }

    private static func succeeded(_ result: OpaquePointer) -> Bool {
        [PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE].contains(PQresultStatus(result))
    }

    func read(_ result: OpaquePointer, on handle: OpaquePointer) throws -> QueryResult {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return QueryResult(rows: [], affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0)
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            return QueryResult(rows: Self.rows(of: result), affectedRows: Int(PQntuples(result)))
        default:
            let message = String(cString: PQresultErrorMessage(result))
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { SQLState(rawValue: String(cString: $0)) }
            if PQstatus(handle) != CONNECTION_OK || state?.meansConnectionLost == true {
                throw DatabaseError(.connectionLost, sqlState: state, detail: message)
            }
            throw DatabaseError(.server, sqlState: state, detail: message)
        }
    }

    private static func rows(of result: OpaquePointer) -> [Row] {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = ResultColumns(
            names: (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) },
            types: (0..<columnCount).map { PostgresType(rawValue: PQftype(result, Int32($0))) }
        )
        var rows = [Row]()
        rows.reserveCapacity(rowCount)
        for row in 0..<Int32(rowCount) {
            var values = [[UInt8]?]()
            values.reserveCapacity(columnCount)
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(result, row, column) == 1 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(result, row, column))
                    let pointer = UnsafeRawPointer(PQgetvalue(result, row, column)!)
                    values.append(Array(UnsafeRawBufferPointer(start: pointer, count: length)))
                }
            }
            rows.append(Row(columns: columns, values: values))
        }
        return rows
    }

    func connectionError(_ fallback: String) -> DatabaseError {
        let message = handle.map { String(cString: PQerrorMessage($0)) } ?? ""
        return DatabaseError(.connectionLost, detail: message.isEmpty ? fallback : message)
    }

    /// Lays the binds out as the C arrays `PQexecParams` takes, valid for the closure only.
    private static func withBindArrays<R>(
        _ binds: [PostgresBind],
        _ body: ([Oid], [UnsafePointer<CChar>?], [Int32], [Int32]) -> R
    ) -> R {
        let types = binds.map { Oid($0.type.rawValue) }
        let lengths = binds.map { Int32($0.bytes?.count ?? 0) }
        let formats = binds.map { $0.format.rawValue }
        // Copies of the bytes with a terminating zero, since text-format values are C strings.
        let buffers: [UnsafeMutablePointer<CChar>?] = binds.map { bind in
            guard let bytes = bind.bytes else { return nil }
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress ?? UnsafeRawPointer(buffer), byteCount: bytes.count)
            }
            buffer[bytes.count] = 0
            return buffer
        }
        defer { buffers.forEach { $0?.deallocate() } }
        return body(types, buffers.map { $0.map { UnsafePointer($0) } }, lengths, formats)
    }
}

extension PostgresConnection {
    /// Waits up to `timeout` for the socket to become readable, then returns the notifications
    /// libpq has received. Throws `connectionLost` when the connection broke.
    func awaitNotifications(timeout: Duration) throws -> [DatabaseNotification] {
        guard let handle else { throw DatabaseError(.connectionLost, detail: "connection is closed") }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.wholeMilliseconds)
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0, errno != EINTR { throw connectionError("poll failed") }
        if ready > 0 {
            guard PQconsumeInput(handle) == 1, PQstatus(handle) == CONNECTION_OK else {
                throw connectionError("connection closed while listening")
            }
        }
        var notifications = [DatabaseNotification]()
        while let notify = PQnotifies(handle) {
            notifications.append(DatabaseNotification(
                channel: String(cString: notify.pointee.relname),
                payload: String(cString: notify.pointee.extra),
                senderPID: notify.pointee.be_pid
            ))
            PQfreemem(notify)
        }
        return notifications
    }
}
