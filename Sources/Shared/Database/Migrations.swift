import Foundation
import Logging

/// A numbered SQL file shipped in `Database/Migrations` (`0001_initial_schema.sql`).
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    /// The migrations shipped with this build, in order.
    public static func bundled() throws -> [Migration] {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw DatabaseError(.migrationFailed, detail: "the Migrations resource folder is missing from the bundle")
        }
        return try load(from: folder)
    }

    static func load(from folder: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }
        let migrations = try files.map { file -> Migration in
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw DatabaseError(.migrationFailed, detail: "\(file): name must be NNNN_description.sql")
            }
            let sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            return Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql)
        }.sorted { $0.version < $1.version }
        for (earlier, later) in zip(migrations, migrations.dropFirst()) where earlier.version == later.version {
            throw DatabaseError(.migrationFailed, detail: "two migrations numbered \(later.version)")
        }
        return migrations
    }
}

/// Applies migrations in order, each in its own transaction, under a transaction-level advisory
/// lock so that control-plane replicas starting together apply each one exactly once.
public struct MigrationRunner: Sendable {
    /// Arbitrary constant shared by every replica: "portcullis migrations".
    static let advisoryLockKey: Int64 = 0x706F_7274_6D69_67
    let database: Database
    let migrations: [Migration]

    public init(database: Database, migrations: [Migration]) {
        self.database = database
        self.migrations = migrations
    }

    /// Returns the versions applied by this call (empty when the schema was already current).
    @discardableResult
    public func apply(logger: Logger) async throws -> [Int] {
        var applied: [Int] = []
        for migration in migrations {
            let didApply = try await database.transaction { tx -> Bool in
                try await tx.execute("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))")
                try await tx.execute("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """)
                let done = try await tx.query("SELECT 1 FROM schema_migrations WHERE version = \(migration.version)")
                guard done.isEmpty else { return false }
                do {
                    try await tx.execute(SQLQuery(unsafeSQL: migration.sql))
                } catch let error as DatabaseError {
                    throw DatabaseError(
                        .migrationFailed, sqlState: error.sqlState,
                        detail: "migration \(migration.version) \(migration.name): \(error.detail)"
                    )
                }
                try await tx.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))"
                )
                return true
            }
            if didApply {
                logger.info("migration applied", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
                applied.append(migration.version)
            }
        }
        return applied
    }
}
