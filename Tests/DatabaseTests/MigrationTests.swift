import Logging
import Shared
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct MigrationTests {
    /// A digest of the schema: every column, constraint, index, trigger and policy.
    static func schemaFingerprint(_ db: Database) async throws -> String {
        let rows = try await db.query("""
            SELECT md5(string_agg(item, E'\\n' ORDER BY item)) AS digest FROM (
                SELECT format('%s.%s %s %s', table_name, column_name, data_type, column_default) AS item
                    FROM information_schema.columns WHERE table_schema = 'public'
                UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
                    WHERE connamespace = 'public'::regnamespace
                UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
                UNION ALL SELECT tgname || ' on ' || tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal
                UNION ALL SELECT policyname || ' on ' || tablename FROM pg_policies
                UNION ALL SELECT format('%s.%s', version, name) FROM schema_migrations
            ) items
            """)
        return try rows.first!.decode("digest", as: String.self)
    }

    @Test func applyingMigrationsAgainChangesNothing() async throws {
        try await withTestDatabase { db, _ in
            let before = try await Self.schemaFingerprint(db)
            let applied = try await MigrationRunner(database: db, migrations: Migration.bundled()).apply(logger: Logger(label: "t"))
            #expect(applied.isEmpty)
            #expect(try await Self.schemaFingerprint(db) == before)
            let versions = try await db.query("SELECT version FROM schema_migrations ORDER BY version")
            #expect(try versions.map { try $0.decode("version", as: Int.self) } == Migration.bundled().map(\.version))
        }
    }

    @Test func replicasMigratingAnEmptyDatabaseTogetherApplyEachMigrationOnce() async throws {
        try await withTestDatabase { db, conninfo in
            let name = "fresh_\(UInt32.random(in: 0...UInt32.max))"
            try await db.execute(SQLQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            let fresh = try ConnectionString.replacingDatabase(in: conninfo, with: name)
            let appliedCounts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        let replica = Database(conninfo: fresh, poolSize: 1, logger: Logger(label: "replica"))
                        let applied = try? await MigrationRunner(database: replica, migrations: Migration.bundled())
                            .apply(logger: Logger(label: "replica"))
                        await replica.close()
                        return applied?.count ?? -1
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(appliedCounts.reduce(0, +) == (try Migration.bundled().count))
        }
    }

    @Test func bundledMigrationsAreNumberedInOrder() throws {
        let migrations = try Migration.bundled()
        #expect(!migrations.isEmpty)
        #expect(migrations.map(\.version) == migrations.map(\.version).sorted())
        #expect(migrations.first?.version == 1)
    }
}
