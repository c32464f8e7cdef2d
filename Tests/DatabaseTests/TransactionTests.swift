import Shared
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct TransactionTests {
    struct Boom: Error {}

    @Test func thrownErrorRollsTheTransactionBack() async throws {
        try await withTestDatabase { db, _ in
            try await db.execute("CREATE TABLE items (n int)")
            await #expect(throws: Boom.self) {
                try await db.transaction { tx in
                    try await tx.execute("INSERT INTO items VALUES (1)")
                    throw Boom()
                }
            }
            #expect(try await db.query("SELECT n FROM items").isEmpty)
            try await db.transaction { tx in try await tx.execute("INSERT INTO items VALUES (2)") }
            #expect(try await db.query("SELECT n FROM items").map { try $0.decode("n", as: Int.self) } == [2])
        }
    }

    @Test func failedStatementInsideTransactionRollsBackEverything() async throws {
        try await withTestDatabase { db, _ in
            try await db.execute("CREATE TABLE uniq (k text UNIQUE)")
            let error = await #expect(throws: DatabaseError.self) {
                try await db.transaction { tx in
                    try await tx.execute("INSERT INTO uniq VALUES ('a')")
                    try await tx.execute("INSERT INTO uniq VALUES ('a')")
                }
            }
            #expect(error?.sqlState == .uniqueViolation)
            #expect(try await db.query("SELECT k FROM uniq").isEmpty)
            // The connection went back to the pool clean: the next transaction works.
            try await db.transaction { tx in try await tx.execute("INSERT INTO uniq VALUES ('b')") }
            #expect(try await db.query("SELECT count(*) AS n FROM uniq").first?.decode("n", as: Int.self) == 1)
        }
    }

    @Test func serializationFailureIsRecognisedBySQLState() async throws {
        try await withTestDatabase(poolSize: 2) { db, _ in
            try await db.execute("CREATE TABLE counter (n int)")
            try await db.execute("INSERT INTO counter VALUES (0)")
            let error = await #expect(throws: DatabaseError.self) {
                try await db.transaction(isolation: .serializable) { first in
                    _ = try await first.query("SELECT n FROM counter")
                    try await db.execute("UPDATE counter SET n = n + 1")
                    try await first.execute("UPDATE counter SET n = n + 10")
                }
            }
            #expect(error?.sqlState == .serializationFailure)
        }
    }
}
