import Shared

extension Database {
    /// Statements on a call's path (counters, approvals) that take longer are cancelled by the
    /// server, so a locked row or an overloaded database costs a call seconds, not forever, and
    /// the limit's `fail` setting decides (issue 10 item 21). 5 s like the connect and pool
    /// timeouts: 2 s was seen exceeded by a plain upsert while the whole test suite ran on two cores.
    static let hotPathStatementTimeout = Duration.seconds(5)

    /// A transaction whose every statement is bounded by `hotPathStatementTimeout`.
    func hotPathTransaction<T>(_ body: (DatabaseSession) async throws -> T) async throws -> T {
        try await transaction(statementTimeout: Self.hotPathStatementTimeout, body)
    }

    /// One statement bounded by `hotPathStatementTimeout`.
    @discardableResult
    func hotPathQuery(_ query: SQLQuery) async throws -> [Row] {
        try await hotPathTransaction { try await $0.query(query) }
    }
}

extension Database {
    /// One statement in one round trip, outside an explicit transaction (issue 11 item 1): the
    /// server cannot be given a `statement_timeout` in the same round trip, so such a statement
    /// bounds its own lock waits (`lock_timeout`), and an answer that has not arrived within
    /// `hotPathStatementTimeout` and a second fails `connectionLost`.
    func hotPathStatement(_ query: SQLQuery) async throws -> [Row] {
        try await self.query(query, answerTimeout: Self.hotPathStatementTimeout + .seconds(1))
    }
}
