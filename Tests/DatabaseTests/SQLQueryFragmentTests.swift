import Foundation
import Shared
import TestSupport
import Testing

/// A query interpolated into another (issue 15 item 3: a condition written once).
@Suite(.timeLimit(.minutes(2)))
struct SQLQueryFragmentTests {
    @Test func anEmbeddedFragmentsBindsAreRenumberedAfterTheOuterOnes() {
        let name = "x"
        let fragment: SQLQuery = "name = \(name) AND size > \(3)"
        let query: SQLQuery = "SELECT \(1) WHERE \(fragment) AND id = \(UUID())"
        #expect(query.sql == "SELECT $1 WHERE name = $2 AND size > $3 AND id = $4")
        #expect(query.binds.count == 4)
    }

    @Test func dollarDigitsInTheFragmentsTextAreNotPlaceholders() {
        let fragment: SQLQuery = "note <> '$1' AND size > \(3)"
        let query: SQLQuery = "SELECT \(1), \(2) WHERE \(fragment)"
        #expect(query.sql == "SELECT $1, $2 WHERE note <> '$1' AND size > $3")
    }

    @Test func fragmentsNestAndTheDatabaseSeesTheRightValues() async throws {
        try await withTestDatabase { db, _ in
            let inner: SQLQuery = "\("émoji 🦅")::text"
            let middle: SQLQuery = "\(inner) || \("-")::text || \(inner)"
            let row = try #require(try await db.query("SELECT \(7)::int AS seven, \(middle) AS text, \(8)::int AS eight").first)
            #expect(try row.decode("seven", as: Int.self) == 7)
            #expect(try row.decode("text", as: String.self) == "émoji 🦅-émoji 🦅")
            #expect(try row.decode("eight", as: Int.self) == 8)
        }
    }
}
