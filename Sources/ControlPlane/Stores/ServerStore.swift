import Foundation
import JSON
import Shared

/// Upstream timeouts of a server (design.md §5.4), in milliseconds.
struct ServerTimeouts: Sendable, Equatable {
    var connectMs = 5_000
    var firstByteMs = 60_000
    var idleMs = 300_000

    var json: JSONValue {
        ["connect_ms": .number(JSONNumber(connectMs)), "first_byte_ms": .number(JSONNumber(firstByteMs)), "idle_ms": .number(JSONNumber(idleMs))]
    }
}

/// A registered upstream MCP server (design.md §2) as the API shows it: never its credentials.
struct Server: Pageable {
    /// `pending` until the first discovery; then `active`, `unreachable` (discovery failed) or
    /// `refused` (the URL no longer passes the SSRF guard, e.g. after a DNS change).
    enum Status: String, Sendable {
        case pending, active, unreachable, refused
    }

    let id: UUID
    let name: String
    let description: String?
    let url: String
    let transport: String
    let authType: String
    let credentialMode: String
    let timeouts: ServerTimeouts
    let status: String
    let statusDetail: String?
    let lastDiscoveredAt: Date?
    let createdAt: Date
    let updatedAt: Date

    static let columns = """
        id, name, description, url, transport, auth_type, credential_mode, connect_timeout_ms, first_byte_timeout_ms, idle_timeout_ms,
        status, status_detail, last_discovered_at, created_at, updated_at
        """

    init(row: Row) throws {
        id = try row.decode("id")
        name = try row.decode("name")
        description = try row.decode("description")
        url = try row.decode("url")
        transport = try row.decode("transport")
        authType = try row.decode("auth_type")
        credentialMode = try row.decode("credential_mode")
        timeouts = ServerTimeouts(
            connectMs: try row.decode("connect_timeout_ms"), firstByteMs: try row.decode("first_byte_timeout_ms"),
            idleMs: try row.decode("idle_timeout_ms"))
        status = try row.decode("status")
        statusDetail = try row.decode("status_detail")
        lastDiscoveredAt = try row.decode("last_discovered_at")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }

    var pageCursor: PageCursor { PageCursor(time: createdAt, id: id) }

    var json: JSONValue {
        [
            "id": .uuid(id), "name": .string(name), "description": .string(description), "url": .string(url),
            "transport": .string(transport), "auth": ["type": .string(authType)],
            "credential_mode": .string(credentialMode), "timeouts": timeouts.json,
            "status": .string(status), "status_detail": .string(statusDetail),
            "last_discovered_at": .timestamp(lastDiscoveredAt), "created_at": .timestamp(createdAt), "updated_at": .timestamp(updatedAt),
        ]
    }
}

/// What discovery needs to reach a server: its URL, timeouts and sealed credentials.
struct ServerUpstream: Sendable {
    let url: String
    let authType: String
    let sealedCredentials: [UInt8]?
    let timeouts: ServerTimeouts
}

/// The `servers` table of one account. Every write is recorded in the config change log, since
/// workers carry servers in their snapshots.
struct ServerStore {
    let tx: TenantTransaction

    /// A new server's auth: its stored type and the credentials sealed for this server's id.
    struct StoredAuth {
        let type: String
        let sealed: SealedSecret?
    }

    struct Fields {
        var name: String?
        var description: PatchValue<String> = .unchanged
        var url: String?
        var auth: StoredAuth?
        var credentialMode: UpstreamCredentialMode?
        var timeouts: ServerTimeouts?
    }

    func create(
        id: UUID, name: String, description: String?, url: String, auth: StoredAuth, credentialMode: UpstreamCredentialMode,
        timeouts: ServerTimeouts
    ) async throws -> Server {
        let server = try await uniqueName {
            let rows = try await tx.query("""
                INSERT INTO servers (id, account_id, name, description, url, auth_type, credentials_ciphertext, credentials_key_version,
                                     credential_mode, connect_timeout_ms, first_byte_timeout_ms, idle_timeout_ms)
                VALUES (\(id), \(tx.account), \(name), \(description), \(url), \(auth.type), \(auth.sealed?.storedBytes), \(auth.sealed?.keyVersion),
                        \(credentialMode.rawValue), \(timeouts.connectMs), \(timeouts.firstByteMs), \(timeouts.idleMs))
                RETURNING \(unsafeSQL: Server.columns)
                """)
            return try Server(row: rows[0])
        }
        try await ConfigChangeLog.record(tx.session, account: tx.account, kind: .server, id: id, .upsert)
        return server
    }

    func find(_ id: UUID) async throws -> Server {
        let rows = try await tx.query("SELECT \(unsafeSQL: Server.columns) FROM servers WHERE account_id = \(tx.account) AND id = \(id)")
        guard let row = rows.first else { throw ProblemError.notFound("Server") }
        return try Server(row: row)
    }

    func list(page: PageRequest) async throws -> Page<Server> {
        let keyset = Keyset(time: "created_at", id: "id", .oldestFirst)
        let rows = try await tx.query("""
            SELECT \(unsafeSQL: Server.columns) FROM servers
            WHERE account_id = \(tx.account)
              AND \(keyset.after(page.after))
            ORDER BY \(keyset.ordering)
            LIMIT \(page.fetchLimit)
            """)
        return Page(rows: try rows.map(Server.init(row:)), request: page)
    }

    func update(_ id: UUID, _ fields: Fields) async throws -> Server {
        let server = try await uniqueName {
            let rows = try await tx.query("""
                UPDATE servers SET
                    name = coalesce(\(fields.name), name),
                    description = CASE WHEN \(fields.description.isSet) THEN \(fields.description.newValue) ELSE description END,
                    url = coalesce(\(fields.url), url),
                    auth_type = coalesce(\(fields.auth?.type), auth_type),
                    credentials_ciphertext = CASE WHEN \(fields.auth != nil) THEN \(fields.auth?.sealed?.storedBytes) ELSE credentials_ciphertext END,
                    credentials_key_version = CASE WHEN \(fields.auth != nil) THEN \(fields.auth?.sealed?.keyVersion) ELSE credentials_key_version END,
                    credential_mode = coalesce(\(fields.credentialMode?.rawValue), credential_mode),
                    connect_timeout_ms = coalesce(\(fields.timeouts?.connectMs), connect_timeout_ms),
                    first_byte_timeout_ms = coalesce(\(fields.timeouts?.firstByteMs), first_byte_timeout_ms),
                    idle_timeout_ms = coalesce(\(fields.timeouts?.idleMs), idle_timeout_ms),
                    updated_at = now()
                WHERE account_id = \(tx.account) AND id = \(id)
                RETURNING \(unsafeSQL: Server.columns)
                """)
            guard let row = rows.first else { throw ProblemError.notFound("Server") }
            return try Server(row: row)
        }
        try await ConfigChangeLog.record(tx.session, account: tx.account, kind: .server, id: id, .upsert)
        return server
    }

    /// Deletes the server with its tools, grants and identities' credentials for it (the schema
    /// cascades); each is logged as deleted so workers drop them too.
    func delete(_ id: UUID) async throws {
        let tools = try await tx.query("SELECT id FROM tools WHERE account_id = \(tx.account) AND server_id = \(id)")
        let grants = try await tx.query("SELECT id FROM grants WHERE account_id = \(tx.account) AND server_id = \(id)")
        let credentials = try await IdentityCredentialStore(tx: tx).ids(server: id)
        let result = try await tx.execute("DELETE FROM servers WHERE account_id = \(tx.account) AND id = \(id)")
        guard result.affectedRows == 1 else { throw ProblemError.notFound("Server") }
        try await ConfigChangeLog.record(tx.session, account: tx.account, kind: .server, id: id, .delete)
        for row in tools { try await ConfigChangeLog.record(tx.session, account: tx.account, kind: .tool, id: try row.decode("id"), .delete) }
        for row in grants { try await ConfigChangeLog.record(tx.session, account: tx.account, kind: .grant, id: try row.decode("id"), .delete) }
        for credential in credentials { try await tx.recordChange(.identityCredential, id: credential, .delete) }
    }

    /// The server's upstream settings, read before discovery talks to the network.
    func upstream(_ id: UUID) async throws -> ServerUpstream? {
        let rows = try await tx.query("""
            SELECT url, auth_type, credentials_ciphertext, connect_timeout_ms, first_byte_timeout_ms, idle_timeout_ms
            FROM servers WHERE account_id = \(tx.account) AND id = \(id)
            """)
        guard let row = rows.first else { return nil }
        return ServerUpstream(
            url: try row.decode("url"), authType: try row.decode("auth_type"),
            sealedCredentials: try row.decode("credentials_ciphertext"),
            timeouts: ServerTimeouts(
                connectMs: try row.decode("connect_timeout_ms"), firstByteMs: try row.decode("first_byte_timeout_ms"),
                idleMs: try row.decode("idle_timeout_ms")))
    }

    /// Locks the server's row until the transaction ends, so two discoveries of one server (on
    /// demand and in the background) apply their results in turn. Answers whether the server was
    /// never discovered before (the registration's discovery, design.md §5.7), or nil when it is gone or
    /// its URL changed while discovery ran (the answer then describes another upstream).
    func lockForDiscovery(_ id: UUID, url: String) async throws -> Bool? {
        let rows = try await tx.query("""
            SELECT last_discovered_at IS NULL AS first_discovery FROM servers
            WHERE account_id = \(tx.account) AND id = \(id) AND url = \(url) FOR UPDATE
            """)
        return try rows.first?.decode("first_discovery")
    }

    /// The outcome of a discovery. Only whether discovery failed is part of a worker's snapshot
    /// (`SnapshotServer.discoveryFailed`, issue 10 item 7), so only a change of that is logged as a
    /// config change: a rediscovery every 5 minutes must not wake every worker.
    func setStatus(_ id: UUID, _ status: Server.Status, detail: String?, discovered: Bool) async throws {
        let rows = try await tx.query("""
            WITH previous AS (SELECT status FROM servers WHERE account_id = \(tx.account) AND id = \(id))
            UPDATE servers SET status = \(status.rawValue), status_detail = \(detail),
                last_discovered_at = CASE WHEN \(discovered) THEN now() ELSE last_discovered_at END
            FROM previous
            WHERE servers.account_id = \(tx.account) AND servers.id = \(id)
            RETURNING previous.status IN ('unreachable', 'refused') AS failed_before
            """)
        guard let failedBefore: Bool = try rows.first?.decode("failed_before") else { return }
        if failedBefore != (status == .unreachable || status == .refused) {
            try await ConfigChangeLog.record(tx.session, account: tx.account, kind: .server, id: id, .upsert)
        }
    }

    private func uniqueName<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError where error.sqlState == .uniqueViolation {
            throw ProblemError.conflict("A server with this name already exists.")
        }
    }
}
