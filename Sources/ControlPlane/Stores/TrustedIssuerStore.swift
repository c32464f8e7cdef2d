import Foundation
import JSON
import Shared

/// An OIDC issuer an account trusts (issue 14 item 4) as the API shows it, with the state of its
/// keys: which JWKS they came from, when, and why the last refresh failed (if it did).
struct TrustedIssuer: Pageable {
    let id: UUID
    let settings: SnapshotTrustedIssuer
    let jwksURI: String?
    let keysCheckedAt: Date?
    let keysError: String?
    let createdAt: Date
    let updatedAt: Date

    static let columns = """
        id, account_id, issuer, audience, array_to_string(algorithms, ',') AS algorithms, identity_claim, group_claim,
        group_policies, keys, jwks_uri, keys_checked_at, keys_error, created_at, updated_at
        """

    init(row: Row) throws {
        id = try row.decode("id")
        settings = SnapshotTrustedIssuer(
            id: id, accountID: try row.decode("account_id"), issuer: try row.decode("issuer"), audience: try row.decode("audience"),
            algorithms: try row.decode("algorithms", as: String.self).split(separator: ",").compactMap { IssuerSigningAlgorithm(rawValue: String($0)) },
            identityClaim: try row.decode("identity_claim"), groupClaim: try row.decode("group_claim"),
            groupPolicies: Self.groupPolicies(try row.decode("group_policies", as: JSONValue.self)),
            keys: Self.keys(try row.decode("keys", as: JSONValue.self)))
        jwksURI = try row.decode("jwks_uri")
        keysCheckedAt = try row.decode("keys_checked_at")
        keysError = try row.decode("keys_error")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }

    var pageCursor: PageCursor { PageCursor(time: createdAt, id: id) }

    var json: JSONValue {
        [
            "id": .uuid(id), "issuer": .string(settings.issuer), "audience": .string(settings.audience),
            "algorithms": .array(settings.algorithms.map { .string($0.rawValue) }),
            "identity_claim": .string(settings.identityClaim), "group_claim": .string(settings.groupClaim),
            "group_policies": Self.json(settings.groupPolicies),
            "jwks_uri": .string(jwksURI),
            "keys": .array(settings.keys.map { ["kid": .string($0.kid), "alg": .string($0.algorithm.rawValue)] }),
            "keys_checked_at": .timestamp(keysCheckedAt), "keys_error": .string(keysError),
            "created_at": .timestamp(createdAt), "updated_at": .timestamp(updatedAt),
        ]
    }

    static func json(_ mappings: [SnapshotTrustedIssuer.GroupPolicy]) -> JSONValue {
        .array(mappings.map { ["group": .string($0.group), "policy_id": .uuid($0.policyID)] })
    }

    /// The stored form of keys: the JWK's own names (`alg`, `x`, `y`, `n`, `e`).
    static func json(_ keys: [SnapshotTrustedIssuer.Key]) -> JSONValue {
        .array(keys.map { key in
            var object = JSONObject([("alg", .string(key.algorithm.rawValue))])
            for (name, value) in [("kid", key.kid), ("x", key.x), ("y", key.y), ("n", key.n), ("e", key.e)] {
                if let value { object[name] = .string(value) }
            }
            return .object(object)
        })
    }

    private static func groupPolicies(_ value: JSONValue) -> [SnapshotTrustedIssuer.GroupPolicy] {
        (value.arrayValue ?? []).compactMap { entry in
            guard let group = entry["group"]?.stringValue, let policy = entry["policy_id"]?.stringValue.flatMap(UUID.init(uuidString:)) else { return nil }
            return SnapshotTrustedIssuer.GroupPolicy(group: group, policyID: policy)
        }
    }

    private static func keys(_ value: JSONValue) -> [SnapshotTrustedIssuer.Key] {
        (value.arrayValue ?? []).compactMap { entry in
            guard let algorithm = entry["alg"]?.stringValue.flatMap(IssuerSigningAlgorithm.init(rawValue:)) else { return nil }
            return SnapshotTrustedIssuer.Key(
                kid: entry["kid"]?.stringValue, algorithm: algorithm, x: entry["x"]?.stringValue, y: entry["y"]?.stringValue,
                n: entry["n"]?.stringValue, e: entry["e"]?.stringValue)
        }
    }
}

/// The `trusted_issuers` table of one account. Every write that changes what workers verify with
/// is recorded in the config change log.
struct TrustedIssuerStore {
    let tx: TenantTransaction

    struct Fields {
        var audience: String?
        var algorithms: [IssuerSigningAlgorithm]?
        var identityClaim: String?
        var groupClaim: PatchValue<String> = .unchanged
        var groupPolicies: [SnapshotTrustedIssuer.GroupPolicy]?
    }

    func create(issuer: String, _ fields: Fields) async throws -> TrustedIssuer {
        try await uniqueIssuer {
            let rows = try await tx.query("""
                INSERT INTO trusted_issuers (account_id, issuer, audience, algorithms, identity_claim, group_claim, group_policies)
                VALUES (\(tx.account), \(issuer), \(fields.audience), \(TextArray((fields.algorithms ?? []).map(\.rawValue)))::text[],
                        coalesce(\(fields.identityClaim), 'sub'), \(fields.groupClaim.newValue),
                        \(TrustedIssuer.json(fields.groupPolicies ?? [])))
                RETURNING \(unsafeSQL: TrustedIssuer.columns)
                """)
            let created = try TrustedIssuer(row: rows[0])
            try await tx.recordChange(.trustedIssuer, id: created.id, .upsert)
            return created
        }
    }

    func find(_ id: UUID) async throws -> TrustedIssuer {
        guard let found = try await existing(id) else { throw ProblemError.notFound("Trusted issuer") }
        return found
    }

    /// Nil when there is no such issuer; `locking` holds its row until the transaction ends.
    func existing(_ id: UUID, locking: Bool = false) async throws -> TrustedIssuer? {
        try await tx.query("""
            SELECT \(unsafeSQL: TrustedIssuer.columns) FROM trusted_issuers WHERE account_id = \(tx.account) AND id = \(id)
            \(unsafeSQL: locking ? "FOR UPDATE" : "")
            """).first.map(TrustedIssuer.init(row:))
    }

    func list(page: PageRequest) async throws -> Page<TrustedIssuer> {
        let keyset = Keyset(time: "created_at", id: "id", .oldestFirst)
        let rows = try await tx.query("""
            SELECT \(unsafeSQL: TrustedIssuer.columns) FROM trusted_issuers
            WHERE account_id = \(tx.account)
              AND \(keyset.after(page.after))
            ORDER BY \(keyset.ordering)
            LIMIT \(page.fetchLimit)
            """)
        return Page(rows: try rows.map(TrustedIssuer.init(row:)), request: page)
    }

    func update(_ id: UUID, _ fields: Fields) async throws -> TrustedIssuer {
        let rows = try await tx.query("""
            UPDATE trusted_issuers SET
                audience = coalesce(\(fields.audience), audience),
                algorithms = coalesce(\(fields.algorithms.map { TextArray($0.map(\.rawValue)) })::text[], algorithms),
                identity_claim = coalesce(\(fields.identityClaim), identity_claim),
                group_claim = CASE WHEN \(fields.groupClaim.isSet) THEN \(fields.groupClaim.newValue) ELSE group_claim END,
                group_policies = coalesce(\(fields.groupPolicies.map(TrustedIssuer.json)), group_policies),
                updated_at = now()
            WHERE account_id = \(tx.account) AND id = \(id)
            RETURNING \(unsafeSQL: TrustedIssuer.columns)
            """)
        guard let row = rows.first else { throw ProblemError.notFound("Trusted issuer") }
        try await tx.recordChange(.trustedIssuer, id: id, .upsert)
        return try TrustedIssuer(row: row)
    }

    func delete(_ id: UUID) async throws {
        let result = try await tx.execute("DELETE FROM trusted_issuers WHERE account_id = \(tx.account) AND id = \(id)")
        guard result.affectedRows == 1 else { throw ProblemError.notFound("Trusted issuer") }
        try await tx.recordChange(.trustedIssuer, id: id, .delete)
    }

    /// Records the outcome of fetching the keys. A failure keeps the keys already published (an
    /// identity provider's outage must not lock its users out) and says why in `keys_error`. Workers
    /// hear of it only when the keys themselves change. Nil when the issuer was deleted meanwhile.
    func recordKeys(_ id: UUID, _ outcome: Result<IssuerKeyDiscovery.Found, GuardedDocumentFetch.Failure>) async throws -> TrustedIssuer? {
        guard let current = try await existing(id, locking: true) else { return nil }
        let rows: [Row]
        switch outcome {
        case .success(let found):
            rows = try await tx.query("""
                UPDATE trusted_issuers SET jwks_uri = \(found.jwksURI), keys = \(TrustedIssuer.json(found.keys)),
                       keys_checked_at = now(), keys_error = NULL
                WHERE account_id = \(tx.account) AND id = \(id)
                RETURNING \(unsafeSQL: TrustedIssuer.columns)
                """)
            if found.keys != current.settings.keys { try await tx.recordChange(.trustedIssuer, id: id, .upsert) }
        case .failure(let failure):
            rows = try await tx.query("""
                UPDATE trusted_issuers SET keys_checked_at = now(), keys_error = \(failure.description)
                WHERE account_id = \(tx.account) AND id = \(id)
                RETURNING \(unsafeSQL: TrustedIssuer.columns)
                """)
        }
        return try TrustedIssuer(row: rows[0])
    }

    private func uniqueIssuer<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError where error.sqlState == .uniqueViolation {
            throw ProblemError.conflict("This account already trusts this issuer.")
        }
    }
}
