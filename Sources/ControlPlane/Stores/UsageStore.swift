import Foundation
import JSON
import Shared

/// One counter in its current window.
struct CounterUsage: Pageable {
    let scope: String
    let scopeID: String
    /// The grant when the scope is `grant`; counters of wider scopes are shared by several grants.
    let grantID: UUID?
    let counter: String
    let window: String
    let windowStart: Date
    let windowEnd: Date
    let count: Double
    /// Where the row sits in the list (see `UsageStore.current`).
    let pageCursor: PageCursor

    init(row: Row) throws {
        scope = try row.decode("scope_kind")
        scopeID = try row.decode("scope_id")
        grantID = scope == "grant" ? UUID(uuidString: scopeID) : nil
        counter = try row.decode("counter")
        window = try row.decode("window_kind")
        windowStart = try row.decode("window_start")
        windowEnd = try row.decode("window_end")
        count = try row.decode("count")
        pageCursor = PageCursor(time: try row.decode("sort_time"), id: try row.decode("key_id"))
    }

    var json: JSONValue {
        [
            "scope": .string(scope), "scope_id": .string(scopeID), "grant_id": .uuid(grantID), "counter": .string(counter),
            "window": .string(window), "window_start": .timestamp(windowStart), "window_end": .timestamp(windowEnd),
            "count": .number(JSONNumber(count)),
            "resets_in_s": .number(JSONNumber(max(0, Int(windowEnd.timeIntervalSinceNow.rounded(.up))))),
        ]
    }
}

/// The `counters` of one account. Rows of past windows linger until `CounterSweeper` deletes them;
/// they are not usage.
struct UsageStore {
    let tx: TenantTransaction

    /// One page of the current windows (issue 10 item 16: sessions and grants make the list
    /// unbounded). At most one row per (scope, scope id, counter, window kind) is current, so a digest
    /// of those names the row; the list runs longest window first (the cursor's time is the
    /// window's length before 1970, as `PageCursor` holds a time and a UUID), then by that digest.
    func current(grant: UUID?, page: PageRequest) async throws -> Page<CounterUsage> {
        let keyset = Keyset(time: "sort_time", id: "key_id", .oldestFirst)
        let rows = try await tx.query("""
            SELECT * FROM (
                SELECT c.scope_kind, c.scope_id, c.counter, c.window_kind, c.window_start, c.window_end, c.count::float8 AS count,
                       'epoch'::timestamptz - (c.window_end - c.window_start) AS sort_time,
                       md5(row(c.scope_kind, c.scope_id, c.counter, c.window_kind)::text)::uuid AS key_id
                FROM counters c
                WHERE c.account_id = \(tx.account) AND c.window_start <= now() AND c.window_end > now()
                  AND (\(grant)::uuid IS NULL
                       OR (c.scope_kind = 'grant' AND c.scope_id = \(grant?.uuidString.lowercased()))
                       OR (c.scope_kind = 'session' AND c.scope_id = 'grant:' || \(grant?.uuidString.lowercased()))
                       OR EXISTS (SELECT 1 FROM grants g WHERE g.account_id = c.account_id AND g.id = \(grant)
                                  AND ((c.scope_kind = 'identity' AND c.scope_id = g.identity_id::text)
                                       OR (c.scope_kind = 'server' AND c.scope_id = g.server_id::text))))
            ) usage
            WHERE \(keyset.after(page.after))
            ORDER BY \(keyset.ordering)
            LIMIT \(page.fetchLimit)
            """)
        return Page(rows: try rows.map(CounterUsage.init(row:)), request: page)
    }
}
