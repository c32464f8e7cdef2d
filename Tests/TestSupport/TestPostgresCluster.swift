import Foundation
import Logging
import Shared

/// The PostgreSQL server a test run uses: `PORTCULLIS_TEST_DATABASE_URL` when set, else a private
/// cluster started once per test process (initdb and pg_ctl, as the `postgres` user when running as
/// root; unix socket only, `fsync=off`) and stopped when the process exits.
public actor TestPostgresCluster {
    public static let shared = TestPostgresCluster()

    /// Set-up runs once, however many tests ask at the same time (an actor method would be
    /// re-entered at each `await` and race to create the template).
    private var setup: Task<(admin: String, template: String), any Error>?
    private var databaseCount = 0

    /// A fresh database for one suite, cloned from a template that has every migration applied.
    public func makeDatabase(for suite: String) async throws -> String {
        let (admin, template) = try await prepared()
        databaseCount += 1
        let name = "t_\(suite.lowercased().filter { $0.isLetter || $0.isNumber })_\(ProcessInfo.processInfo.processIdentifier)_\(databaseCount)"
        let database = Database(conninfo: admin, poolSize: 1, logger: Logger(label: "test-admin"))
        try await database.execute(SQLQuery(unsafeSQL: "CREATE DATABASE \"\(name)\" TEMPLATE \"\(template)\""))
        await database.close()
        return try ConnectionString.replacingDatabase(in: admin, with: name)
    }

    /// The admin connection string (a database the tests may create databases from).
    public func adminConninfo() async throws -> String {
        try await prepared().admin
    }

    private func prepared() async throws -> (admin: String, template: String) {
        if let setup { return try await setup.value }
        let task = Task { () async throws -> (admin: String, template: String) in
            let admin: String
            if let url = ProcessInfo.processInfo.environment["PORTCULLIS_TEST_DATABASE_URL"], !url.isEmpty {
                admin = url
            } else {
                admin = try PrivateCluster.start()
                print("test database: private PostgreSQL cluster at \(admin)")
            }
            return (admin, try await Self.migratedTemplate(admin: admin))
        }
        setup = task
        return try await task.value
    }

    private static func migratedTemplate(admin: String) async throws -> String {
        let name = "portcullis_template_\(ProcessInfo.processInfo.processIdentifier)"
        let adminDatabase = Database(conninfo: admin, poolSize: 1, logger: Logger(label: "test-admin"))
        try await adminDatabase.execute(SQLQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(name)\""))
        try await adminDatabase.execute(SQLQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""))
        await adminDatabase.close()
        let template = Database(conninfo: try ConnectionString.replacingDatabase(in: admin, with: name), poolSize: 1, logger: Logger(label: "test-migrate"))
        try await MigrationRunner(database: template, migrations: Migration.bundled()).apply(logger: Logger(label: "test-migrate"))
        // CREATE DATABASE ... TEMPLATE refuses while anyone is connected to the template.
        await template.close()
        return name
    }
}
