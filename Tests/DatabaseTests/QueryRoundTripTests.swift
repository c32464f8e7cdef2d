import Foundation
import Shared
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct QueryRoundTripTests {
    @Test func textWithQuotesEmojiAndLongStringsRoundTrips() async throws {
        try await withTestDatabase { db, _ in
            let samples = ["it's \"quoted\"; DROP TABLE x; --", "emoji 🦅🔐 and ümlauts", String(repeating: "long ", count: 200_000), "", "back\\slash $1"]
            for sample in samples {
                let row = try #require(try await db.query("SELECT \(sample)::text AS value, length(\(sample)::text) AS chars").first)
                #expect(try row.decode("value", as: String.self) == sample)
                #expect(try row.decode("chars", as: Int.self) == sample.count)
            }
        }
    }

    @Test func byteaWithZeroBytesRoundTrips() async throws {
        try await withTestDatabase { db, _ in
            let bytes: [UInt8] = [0, 1, 0, 255, 0, 92, 120, 0] + (0...255).map(UInt8.init)
            let row = try #require(try await db.query("SELECT \(bytes)::bytea AS value, length(\(bytes)::bytea) AS size").first)
            #expect(try row.decode("value", as: [UInt8].self) == bytes)
            #expect(try row.decode("size", as: Int.self) == bytes.count)
        }
    }

    @Test func typedValuesRoundTrip() async throws {
        try await withTestDatabase { db, _ in
            let id = UUID()
            let time = Date(timeIntervalSince1970: 1_764_000_000.123456)
            let amount = Decimal(string: "12345678901234567890.000123")!
            let row = try #require(try await db.query("""
                SELECT \(id) AS id, \(time) AS time, \(amount) AS amount, \(Int64.max) AS big, \(true) AS flag,
                       \(2.5) AS ratio, \(JSONB(text: #"{"a": [1, "x"]}"#)) AS doc, 1.5::numeric AS numeric_as_double,
                       NULL::text AS missing
                """).first)
            #expect(try row.decode("id", as: UUID.self) == id)
            #expect(abs(try row.decode("time", as: Date.self).timeIntervalSince(time)) < 0.000_001)
            #expect(try row.decode("amount", as: Decimal.self) == amount)
            #expect(try row.decode("big", as: Int64.self) == .max)
            #expect(try row.decode("flag", as: Bool.self))
            #expect(try row.decode("ratio", as: Double.self) == 2.5)
            #expect(try row.decode("doc", as: JSONB.self).text == #"{"a": [1, "x"]}"#)
            #expect(try row.decode("numeric_as_double", as: Double.self) == 1.5)
            #expect(try row.decode("missing", as: String?.self) == nil)
        }
    }

    @Test func decodingErrorsNameTheColumnAndTheProblem() async throws {
        try await withTestDatabase { db, _ in
            let row = try #require(try await db.query("SELECT 42 AS answer, NULL::text AS nothing").first)
            let mismatch = #expect(throws: DatabaseError.self) { try row.decode("answer", as: String.self) }
            #expect(mismatch?.code == .typeMismatch)
            #expect(mismatch?.debugDescription.contains("answer") == true)
            let null = #expect(throws: DatabaseError.self) { try row.decode("nothing", as: String.self) }
            #expect(null?.code == .unexpectedNull)
            let missing = #expect(throws: DatabaseError.self) { try row.decode("absent", as: Int.self) }
            #expect(missing?.code == .missingColumn)
        }
    }

    @Test func serverErrorsCarrySQLStateButKeepValuesOutOfTheDescription() async throws {
        try await withTestDatabase { db, _ in
            try await db.execute("CREATE TABLE things (name text PRIMARY KEY)")
            try await db.execute("INSERT INTO things VALUES (\("secret-value"))")
            let error = await #expect(throws: DatabaseError.self) {
                try await db.execute("INSERT INTO things VALUES (\("secret-value"))")
            }
            #expect(error?.code == .server)
            #expect(error?.sqlState == .uniqueViolation)
            #expect(error?.description.contains("secret-value") == false)
            let syntax = await #expect(throws: DatabaseError.self) { try await db.execute("SELEC 1") }
            #expect(syntax?.sqlState?.rawValue == "42601")
        }
    }

    @Test func connectionStringKeepsSettingsAndSwapsTheDatabase() throws {
        let fromURL = try ConnectionString.replacingDatabase(in: "postgresql://app:pa%27ss@db1,db2:5433/main?target_session_attrs=read-write", with: "other")
        #expect(fromURL.contains("dbname='other'"))
        #expect(fromURL.contains("host='db1,db2'"))
        #expect(fromURL.contains("password='pa\\'ss'"))
        #expect(fromURL.contains("target_session_attrs='read-write'"))
        #expect(throws: DatabaseError.self) { try ConnectionString.replacingDatabase(in: "host=a bogus_option=1", with: "x") }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct TextParameterTests {
    @Test func textWithANulByteIsRefusedRatherThanCut() async throws {
        try await withTestDatabase { db, _ in
            let error = await #expect(throws: DatabaseError.self) { try await db.query("SELECT \("before\u{0}after")::text AS value") }
            #expect(error?.code == .malformedValue)
        }
    }
}
