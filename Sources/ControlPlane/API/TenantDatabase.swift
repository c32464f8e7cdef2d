import Foundation
import Shared

/// The request path's only way into PostgreSQL: the second wall of tenant isolation (issue 4).
///
/// Every transaction runs `SET LOCAL ROLE portcullis_app`, a role that neither owns the tables nor
/// bypasses row-level security, and sets `portcullis.account_id` for the transaction; the RLS
/// policies of migration 0001 then hide every row of other accounts, even from a query that forgets
/// its `account_id` filter. Stores still filter by `tx.account` (the first wall): either wall alone
/// keeps accounts apart. Both settings are transaction-local, so a pooled connection carries
/// nothing over to the next request.
struct TenantDatabase: Sendable {
    let database: Database

    /// Runs `body` in a transaction confined to `account`.
    func transaction<T>(account: UUID, _ body: (TenantTransaction) async throws -> T) async throws -> T {
        try await database.transaction { session in
            try await session.execute("SET LOCAL ROLE portcullis_app")
            try await session.execute("SELECT set_config('portcullis.account_id', \(account.uuidString.lowercased()), true)")
            return try await body(TenantTransaction(session: session, account: account))
        }
    }

    /// A transaction as `portcullis_app` with no account: RLS shows no tenant row at all. For the
    /// look-ups that come before an account is known (API key, login), which go through the
    /// SECURITY DEFINER functions `portcullis_find_api_key` and `portcullis_find_members_for_login`.
    func transactionWithoutAccount<T>(_ body: (DatabaseSession) async throws -> T) async throws -> T {
        try await database.transaction { session in
            try await session.execute("SET LOCAL ROLE portcullis_app")
            return try await body(session)
        }
    }
}

/// A transaction confined to one account. Stores filter every statement by `account` too.
struct TenantTransaction: Sendable {
    let session: DatabaseSession
    let account: UUID

    @discardableResult
    func query(_ query: SQLQuery) async throws -> [Row] {
        try await session.query(query)
    }

    @discardableResult
    func execute(_ query: SQLQuery) async throws -> QueryResult {
        try await session.execute(query)
    }

    /// Records a change of what workers enforce, so snapshots and long-polls see it (design.md §6.1).
    func recordChange(_ kind: SnapshotEntityKind, id: UUID, _ operation: ConfigChangeLog.Operation) async throws {
        try await ConfigChangeLog.record(session, account: account, kind: kind, id: id, operation)
    }
}
