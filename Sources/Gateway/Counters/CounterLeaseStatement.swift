import Foundation
import JSON
import PolicyEngine
import Shared

/// The one statement a worker sends about counters (migration 0007, `portcullis_lease_counters`):
/// it leases units for windows a call lacks, reports what was spent and gives back unspent units,
/// in one round trip, all or nothing over the windows leased.
struct CounterLeaseStatement {
    /// One counter window in the statement.
    struct Item {
        let window: CounterReservation
        var need = 0.0
        var cap = 0.0
        var spent = 0.0
        var returned = 0.0

        var json: JSONValue {
            [
                "account": .string(window.accountID), "scope": .string(window.scope.rawValue), "scope_id": .string(window.scopeID),
                "counter": .string(window.counter), "window": .string(window.window.rawValue),
                "start_ms": .number(JSONNumber(window.windowStart.millisecondsSince1970)),
                "end_ms": .number(JSONNumber(window.windowEnd.millisecondsSince1970)),
                "max": .number(JSONNumber(window.max)), "spent": .number(JSONNumber(spent)),
                "returned": .number(JSONNumber(returned)), "need": .number(JSONNumber(need)), "cap": .number(JSONNumber(cap)),
            ]
        }
    }

    /// What the database answered for one item.
    struct Answer {
        let granted: Double
        /// `max` minus spent and leased, after this statement; nil when the window's row is gone.
        let room: Double?
        /// Spent as reported, after this statement.
        let spent: Double?
        /// This item's room was below its need, so no item was leased anything.
        let refused: Bool
    }

    let items: [Item]

    /// Runs the statement; the answers are in the order of `items`, with the database's clock.
    func run(on database: Database) async throws -> (answers: [Answer], databaseNow: Date?) {
        let rows = try await database.hotPathStatement("""
            SELECT item, granted::float8 AS granted, spent::float8 AS spent, room::float8 AS room, refused, database_now
            FROM portcullis_lease_counters(\(JSONValue.array(items.map(\.json))))
            """)
        var answers = [Answer?](repeating: nil, count: items.count)
        var databaseNow: Date?
        for row in rows {
            let index = try row.decode("item", as: Int.self) - 1
            guard answers.indices.contains(index) else { continue }
            answers[index] = Answer(
                granted: try row.decode("granted"), room: try row.decode("room"), spent: try row.decode("spent"),
                refused: try row.decode("refused"))
            databaseNow = try row.decode("database_now", as: Date.self)
        }
        return (answers.map { $0 ?? Answer(granted: 0, room: nil, spent: nil, refused: false) }, databaseNow)
    }
}
