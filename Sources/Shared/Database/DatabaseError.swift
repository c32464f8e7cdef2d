/// An error from the PostgreSQL layer.
///
/// `description` stays generic so SQL text, parameter values and server messages never reach a
/// log line by accident; `String(reflecting:)` carries the details for debugging.
public struct DatabaseError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case connectionFailed, connectionLost, server, unexpectedNull, typeMismatch
            case missingColumn, malformedValue, poolClosed, poolTimeout, migrationFailed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// libpq could not open a connection (bad conninfo, server down, authentication).
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke while in use; the pool replaces it.
        public static let connectionLost = Code(.connectionLost)
        /// The server refused the statement; `sqlState` says why.
        public static let server = Code(.server)
        public static let unexpectedNull = Code(.unexpectedNull)
        public static let typeMismatch = Code(.typeMismatch)
        public static let missingColumn = Code(.missingColumn)
        public static let malformedValue = Code(.malformedValue)
        public static let poolClosed = Code(.poolClosed)
        /// No pooled connection came free within the pool's lease timeout (issue 10 item 21).
        public static let poolTimeout = Code(.poolTimeout)
        public static let migrationFailed = Code(.migrationFailed)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// The five-character SQLSTATE the server sent, when it sent one.
    public let sqlState: SQLState?
    /// Server or libpq message, or the decoding problem. Only in `debugDescription`.
    public let detail: String

    public init(_ code: Code, sqlState: SQLState? = nil, detail: String) {
        self.code = code
        self.sqlState = sqlState
        self.detail = detail
    }

    public var description: String {
        if let sqlState { return "DatabaseError(\(code), sqlstate \(sqlState.rawValue))" }
        return "DatabaseError(\(code))"
    }

    public var debugDescription: String { "\(description): \(detail)" }

    /// True when the connection itself is gone: the caller may retry on another connection.
    public var isConnectionProblem: Bool { code == .connectionLost || code == .connectionFailed }
}

/// A SQLSTATE code, with the ones callers branch on named.
public struct SQLState: RawRepresentable, Hashable, Sendable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let serializationFailure = SQLState(rawValue: "40001")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let insufficientPrivilege = SQLState(rawValue: "42501")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let raiseException = SQLState(rawValue: "P0001")
    public static let queryCanceled = SQLState(rawValue: "57014")
    /// Raised by the per-account bounds of migration 0005 (`account limit reached: ...`).
    public static let programLimitExceeded = SQLState(rawValue: "54000")
    public static let adminShutdown = SQLState(rawValue: "57P01")

    /// Class 08 (connection exception) and the shutdown codes mean the session is gone.
    var meansConnectionLost: Bool {
        rawValue.hasPrefix("08") || self == .adminShutdown || rawValue == "57P02" || rawValue == "57P03"
    }
}
