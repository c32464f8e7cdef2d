import Foundation
import Shared
import TestSupport
import Testing

/// `DatabaseSession.copy` and `CopyRows`: COPY FROM STDIN through libpq (issue 11 item 3).
@Suite(.timeLimit(.minutes(2)))
struct CopyTests {
    static let createTable: SQLQuery = """
        CREATE TABLE copied (n int, big bigint, ratio float8, id uuid, at timestamptz, label text, raw bytea, tags text[])
        """
    static let copyStatement: SQLQuery = "COPY copied (n, big, ratio, id, at, label, raw, tags) FROM STDIN"

    @Test func copiedRowsKeepEveryAwkwardValueExactly() async throws {
        try await withTestDatabase { db, _ in
            try await db.execute(Self.createTable)
            let labels = ["tab\there", "new\nline and \r return", "back\\slash \\N and \\.", "\\N", "", "é 🦅 \"quoted\" 'single'"]
            let bytes: [UInt8] = [0, 9, 10, 13, 92, 255]
            var rows = CopyRows()
            for (index, label) in labels.enumerated() {
                let values: [any PostgresEncodable] = [
                    Int32(index), Int64.max - Int64(index), 0.1 + Double(index) / 7, UUID(), "2026-12-03T12:00:00.00000\(index)Z",
                    label, bytes + [UInt8(index)], TextArray([label, "x,y", "{}"]),
                ]
                try rows.append(values)
            }
            try rows.append([Int32?.none, Int64?.none, Double?.none, UUID?.none, String?.none, String?.none, [UInt8]?.none, TextArray?.none])

            let stored = try await db.withSession { try await $0.copy(Self.copyStatement, rows: rows) }
            #expect(stored == labels.count + 1)
            #expect(rows.count == labels.count + 1)
            let read = try await db.query("""
                SELECT n, big, ratio, label, raw, tags[1] AS tag1, tags[2] AS tag2, tags[3] AS tag3, cardinality(tags) AS tag_count, (extract(epoch FROM at) * 1000000)::bigint AS micros
                FROM copied ORDER BY n NULLS LAST
                """)
            for (index, label) in labels.enumerated() {
                let row = read[index]
                #expect(try row.decode("n", as: Int.self) == index)
                #expect(try row.decode("big", as: Int64.self) == Int64.max - Int64(index))
                #expect(try row.decode("ratio", as: Double.self) == 0.1 + Double(index) / 7)
                #expect(try row.decode("label", as: String.self) == label)
                #expect(try row.decode("raw", as: [UInt8].self) == bytes + [UInt8(index)])
                #expect(try [row.decode("tag1", as: String.self), row.decode("tag2", as: String.self), row.decode("tag3", as: String.self)]
                    == [label, "x,y", "{}"])
                #expect(try row.decode("tag_count", as: Int.self) == 3)
                #expect(try row.decode("micros", as: Int64.self) == 1_796_299_200_000_000 + Int64(index))
            }
            let empty = try #require(read.last)
            #expect(try empty.decode("n", as: Int?.self) == nil)
            #expect(try empty.decode("label", as: String?.self) == nil)
            #expect(try empty.decode("raw", as: [UInt8]?.self) == nil)
        }
    }

    @Test func rowsBeyondOneChunkAreAllStored() async throws {
        try await withTestDatabase { db, _ in
            try await db.execute(Self.createTable)
            var rows = CopyRows()
            let label = String(repeating: "x", count: 700)
            for index in 0..<3_000 {
                try rows.append([Int32(index), Int64(index), Double(index), UUID(), "2026-01-01T00:00:00Z", label, [UInt8](), TextArray([])])
            }
            #expect(rows.data.count > 2 << 20)
            #expect(try await db.withSession { try await $0.copy(Self.copyStatement, rows: rows) } == 3_000)
            let row = try #require(try await db.query("SELECT count(*) AS rows, sum(n) AS total FROM copied").first)
            #expect(try row.decode("rows", as: Int.self) == 3_000)
            #expect(try row.decode("total", as: Int.self) == (0..<3_000).reduce(0, +))
        }
    }

    @Test func aRowTheServerRefusesFailsTheCopyWithItsSQLStateAndTheConnectionStaysUsable() async throws {
        try await withTestDatabase(poolSize: 1) { db, _ in
            try await db.execute(Self.createTable)
            var rows = CopyRows()
            try rows.append([1, 1, 1.0, UUID(), "2026-01-01T00:00:00Z", "fine", [UInt8](), TextArray([])])
            // An integer column given a number out of its range, as the shipper's refused events are.
            try rows.append([Int64(Int32.max) + 1, 1, 1.0, UUID(), "2026-01-01T00:00:00Z", "refused", [UInt8](), TextArray([])])
            let error = await #expect(throws: DatabaseError.self) {
                try await db.withSession { try await $0.copy(Self.copyStatement, rows: rows) }
            }
            #expect(error?.code == .server)
            #expect(error?.sqlState?.rawValue == "22003")
            #expect(try await db.query("SELECT count(*) AS n FROM copied").first?.decode("n", as: Int.self) == 0)
        }
    }

    @Test func aTextValueWithANulByteIsRefusedBeforeAnythingIsSent() throws {
        var rows = CopyRows()
        try rows.append(["kept", 1])
        let before = rows.data
        #expect(throws: DatabaseError.self) { try rows.append(["fine", "nul\u{0}inside"]) }
        #expect(rows.data == before)
        #expect(rows.count == 1)
    }

    @Test func aStatementThatDoesNotCopyFromStdinIsAnError() async throws {
        try await withTestDatabase(poolSize: 1) { db, _ in
            var rows = CopyRows()
            try rows.append([1])
            let missing = await #expect(throws: DatabaseError.self) {
                try await db.withSession { try await $0.copy("COPY no_such_table (n) FROM STDIN", rows: rows) }
            }
            #expect(missing?.sqlState == .undefinedTable)
            await #expect(throws: DatabaseError.self) {
                try await db.withSession { try await $0.copy("SELECT 1", rows: rows) }
            }
            #expect(try await db.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
        }
    }
}
