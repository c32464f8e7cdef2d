import Foundation
import Shared

/// Reads snapshots out of PostgreSQL. Each read runs in one REPEATABLE READ transaction, so the
/// entities and the version they are stamped with come from the same moment. It reads across
/// accounts by design (workers serve every tenant), so it runs as the table owner, not under RLS.
struct SnapshotReader: Sendable {
    let database: Database

    enum DeltaAnswer: Equatable {
        case delta(SnapshotDelta)
        case unchanged(version: Int64)
        /// `since` is older than the retained change log, or newer than anything committed.
        case gone
    }

    func full() async throws -> FullSnapshot {
        try await database.transaction(isolation: .repeatableRead) { tx in
            let version = try await Self.currentVersion(tx)
            var entities = SnapshotEntities()
            entities.accounts = try await Self.accounts(tx, ids: nil)
            entities.servers = try await Self.servers(tx, ids: nil)
            entities.identities = try await Self.identities(tx, ids: nil)
            entities.grants = try await Self.grants(tx, ids: nil)
            entities.policies = try await Self.policies(tx, ids: nil)
            entities.tools = try await Self.tools(tx, ids: nil)
            entities.identityCredentials = try await Self.identityCredentials(tx, ids: nil)
            entities.oauthSigningKeys = try await OAuthSigningKeyStore.published(tx, ids: nil)
            entities.oauthAuthorizations = try await Self.oauthAuthorizations(tx, ids: nil)
            entities.trustedIssuers = try await Self.trustedIssuers(tx, ids: nil)
            return FullSnapshot(version: version, entities: entities)
        }
    }

    func delta(since: Int64) async throws -> DeltaAnswer {
        // A long-poll that finds nothing new, the common case, costs one statement and no
        // transaction (issue 11, propagation: every round trip is a thread hop on a busy machine).
        if let answer = Self.answerWithoutChanges(since: since, try await database.withSession(Self.changeRange)) { return answer }
        return try await database.transaction(isolation: .repeatableRead) { tx in
            let range = try await Self.changeRange(tx)
            if let answer = Self.answerWithoutChanges(since: since, range) { return answer }
            let version = range.version
            let changed = try await tx.query("""
                SELECT DISTINCT entity_kind, entity_id FROM config_changes
                WHERE change > \(since) AND change <= \(version)
                """)
            var idsByKind: [SnapshotEntityKind: [UUID]] = [:]
            for row in changed {
                guard let kind = SnapshotEntityKind(rawValue: try row.decode("entity_kind")) else { continue }
                idsByKind[kind, default: []].append(try row.decode("entity_id"))
            }
            var upserts = SnapshotEntities()
            var present: Set<SnapshotEntityRef> = []
            func load<E: Identifiable>(_ kind: SnapshotEntityKind, _ loader: (DatabaseSession, [UUID]?) async throws -> [E]) async throws -> [E] where E.ID == UUID {
                guard let ids = idsByKind[kind] else { return [] }
                let found = try await loader(tx, ids)
                present.formUnion(found.map { SnapshotEntityRef(kind: kind, id: $0.id) })
                return found
            }
            upserts.accounts = try await load(.account, Self.accounts)
            upserts.servers = try await load(.server, Self.servers)
            upserts.identities = try await load(.identity, Self.identities)
            upserts.grants = try await load(.grant, Self.grants)
            upserts.policies = try await load(.policy, Self.policies)
            upserts.tools = try await load(.tool, Self.tools)
            upserts.identityCredentials = try await load(.identityCredential, Self.identityCredentials)
            upserts.oauthSigningKeys = try await load(.oauthSigningKey, OAuthSigningKeyStore.published)
            upserts.oauthAuthorizations = try await load(.oauthAuthorization, Self.oauthAuthorizations)
            upserts.trustedIssuers = try await load(.trustedIssuer, Self.trustedIssuers)
            let deletes = idsByKind.flatMap { kind, ids in ids.map { SnapshotEntityRef(kind: kind, id: $0) } }
                .filter { !present.contains($0) }
                .sorted { ($0.kind.rawValue, $0.id.uuidString) < ($1.kind.rawValue, $1.id.uuidString) }
            return .delta(SnapshotDelta(since: since, version: version, upserts: upserts, deletes: deletes))
        }
    }

    /// The newest change number (0 before any) and the oldest the change log still holds.
    private static func changeRange(_ session: DatabaseSession) async throws -> (version: Int64, oldest: Int64?) {
        let row = try await session.query("""
            SELECT coalesce(max(change), 0) AS version, min(change) AS oldest FROM config_changes
            """).first!
        return (try row.decode("version"), try row.decode("oldest"))
    }

    /// `.gone` or `.unchanged` when `since` calls for one of them; nil when there are changes after it.
    private static func answerWithoutChanges(since: Int64, _ range: (version: Int64, oldest: Int64?)) -> DeltaAnswer? {
        if since > range.version || (range.oldest.map { since < $0 - 1 } ?? false) { return .gone }
        return since == range.version ? .unchanged(version: range.version) : nil
    }

    static func currentVersion(_ tx: DatabaseSession) async throws -> Int64 {
        try await tx.query("SELECT coalesce(max(change), 0) AS version FROM config_changes").first!.decode("version")
    }

    /// The ids to load as a bind: all rows when nil (a full snapshot), else only these.
    static func idList(_ ids: [UUID]?) -> TextArray? {
        ids.map { TextArray($0.map(\.uuidString)) }
    }

    private static func accounts(_ tx: DatabaseSession, ids: [UUID]?) async throws -> [SnapshotAccount] {
        try await tx.query("""
            SELECT id, slug, approval_webhook_url, array_to_string(allowed_upstream_cidrs, ',') AS allowed_upstream_cidrs FROM accounts
            WHERE \(idList(ids))::uuid[] IS NULL OR id = ANY(\(idList(ids))::uuid[])
            """).map { row in
            SnapshotAccount(
                id: try row.decode("id"), slug: try row.decode("slug"), approvalWebhookURL: try row.decode("approval_webhook_url"),
                allowedUpstreamCIDRs: Account.cidrList(try row.decode("allowed_upstream_cidrs")))
        }
    }

    private static func servers(_ tx: DatabaseSession, ids: [UUID]?) async throws -> [SnapshotServer] {
        try await tx.query("""
            SELECT id, account_id, name, url, auth_type, credentials_ciphertext, credentials_key_version,
                   connect_timeout_ms, first_byte_timeout_ms, idle_timeout_ms,
                   status IN ('unreachable', 'refused') AS discovery_failed, credential_mode
            FROM servers WHERE \(idList(ids))::uuid[] IS NULL OR id = ANY(\(idList(ids))::uuid[])
            """).map { row in
            SnapshotServer(
                id: try row.decode("id"), accountID: try row.decode("account_id"), name: try row.decode("name"),
                url: try row.decode("url"), authType: try row.decode("auth_type"),
                sealedCredentials: try row.decode("credentials_ciphertext", as: [UInt8]?.self).map { Data($0).base64EncodedString() },
                credentialsKeyVersion: try row.decode("credentials_key_version"),
                connectTimeoutMs: try row.decode("connect_timeout_ms"), firstByteTimeoutMs: try row.decode("first_byte_timeout_ms"),
                idleTimeoutMs: try row.decode("idle_timeout_ms"), discoveryFailed: try row.decode("discovery_failed"),
                credentialMode: try row.decode("credential_mode")
            )
        }
    }

    private static func identities(_ tx: DatabaseSession, ids: [UUID]?) async throws -> [SnapshotIdentity] {
        try await tx.query("""
            SELECT id, account_id, label, metadata FROM identities
            WHERE \(idList(ids))::uuid[] IS NULL OR id = ANY(\(idList(ids))::uuid[])
            """).map { row in
            SnapshotIdentity(
                id: try row.decode("id"), accountID: try row.decode("account_id"), label: try row.decode("label"),
                metadata: try row.decode("metadata", as: JSONB.self).text
            )
        }
    }

    private static func grants(_ tx: DatabaseSession, ids: [UUID]?) async throws -> [SnapshotGrant] {
        try await tx.query("""
            SELECT id, account_id, identity_id, server_id, policy_id, encode(token_hash, 'hex') AS token_hash,
                   expires_at, revoked_at IS NOT NULL AS revoked
            FROM grants WHERE \(idList(ids))::uuid[] IS NULL OR id = ANY(\(idList(ids))::uuid[])
            """).map { row in
            SnapshotGrant(
                id: try row.decode("id"), accountID: try row.decode("account_id"), identityID: try row.decode("identity_id"),
                serverID: try row.decode("server_id"), policyID: try row.decode("policy_id"), tokenHash: try row.decode("token_hash"),
                expiresAt: try row.decode("expires_at"), revoked: try row.decode("revoked")
            )
        }
    }

    /// Live policies at their current version; a deleted policy is absent (grants using it deny).
    private static func policies(_ tx: DatabaseSession, ids: [UUID]?) async throws -> [SnapshotPolicy] {
        try await tx.query("""
            SELECT p.id, p.account_id, p.current_version, v.document::text AS document
            FROM policies p JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.current_version
            WHERE p.deleted_at IS NULL AND (\(idList(ids))::uuid[] IS NULL OR p.id = ANY(\(idList(ids))::uuid[]))
            """).map { row in
            SnapshotPolicy(
                id: try row.decode("id"), accountID: try row.decode("account_id"), version: try row.decode("current_version"),
                document: try row.decode("document")
            )
        }
    }

    /// Tools still listed by their server, with the admin's risk override applied. The inputSchema
    /// (for `validate_arguments`) travels only up to `SnapshotTool.maximumInputSchemaBytes`, so one
    /// tenant's upstream cannot bloat every worker's snapshot; a larger one is left out.
    private static func tools(_ tx: DatabaseSession, ids: [UUID]?) async throws -> [SnapshotTool] {
        try await tx.query("""
            SELECT id, account_id, server_id, name, definition_hash, approved_hash,
                   coalesce(risk_override_class, risk_class) AS risk_class,
                   coalesce(risk_override_severity, risk_severity) AS risk_severity,
                   CASE WHEN octet_length(input_schema::text) <= \(SnapshotTool.maximumInputSchemaBytes)
                        THEN input_schema::text END AS input_schema
            FROM tools
            WHERE removed_at IS NULL AND (\(idList(ids))::uuid[] IS NULL OR id = ANY(\(idList(ids))::uuid[]))
            """).map { row in
            SnapshotTool(
                id: try row.decode("id"), accountID: try row.decode("account_id"), serverID: try row.decode("server_id"),
                name: try row.decode("name"), definitionHash: try row.decode("definition_hash"),
                approvedHash: try row.decode("approved_hash"), riskClass: try row.decode("risk_class"),
                riskSeverity: try row.decode("risk_severity"), inputSchema: try row.decode("input_schema")
            )
        }
    }

    /// Identities' own upstream credentials (issue 14 item 5), still sealed.
    private static func identityCredentials(_ tx: DatabaseSession, ids: [UUID]?) async throws -> [SnapshotIdentityCredential] {
        try await tx.query("""
            SELECT id, account_id, identity_id, server_id, auth_type, credentials_ciphertext, credentials_key_version, expires_at
            FROM identity_credentials WHERE \(idList(ids))::uuid[] IS NULL OR id = ANY(\(idList(ids))::uuid[])
            """).map { row in
            SnapshotIdentityCredential(
                id: try row.decode("id"), accountID: try row.decode("account_id"), identityID: try row.decode("identity_id"),
                serverID: try row.decode("server_id"), authType: try row.decode("auth_type"),
                sealedCredentials: Data(try row.decode("credentials_ciphertext", as: [UInt8].self)).base64EncodedString(),
                credentialsKeyVersion: try row.decode("credentials_key_version"), expiresAt: try row.decode("expires_at")
            )
        }
    }

    /// Every member consent, revoked ones included (a revoked one refuses its tokens at once,
    /// before the access tokens it let out expire).
    private static func oauthAuthorizations(_ tx: DatabaseSession, ids: [UUID]?) async throws -> [SnapshotOAuthAuthorization] {
        try await tx.query("""
            SELECT id, account_id, grant_id, client_id, revoked_at IS NOT NULL AS revoked FROM oauth_authorizations
            WHERE \(idList(ids))::uuid[] IS NULL OR id = ANY(\(idList(ids))::uuid[])
            """).map { row in
            SnapshotOAuthAuthorization(
                id: try row.decode("id"), accountID: try row.decode("account_id"), grantID: try row.decode("grant_id"),
                clientID: try row.decode("client_id"), revoked: try row.decode("revoked"))
        }
    }
}
