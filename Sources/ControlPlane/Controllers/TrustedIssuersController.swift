import Foundation
import Hummingbird
import JSON
import Shared

/// `/v1/trusted-issuers` (issue 14 item 4): OIDC issuers whose tokens an account's agents may call
/// the gateway with. Everyone reads; admins create, change, delete and refresh the keys.
struct TrustedIssuersController {
    let tenants: TenantDatabase
    let refresh: IssuerKeyRefresh

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/trusted-issuers", use: list)
        group.post("/trusted-issuers", use: create)
        group.get("/trusted-issuers/:id", use: show)
        group.patch("/trusted-issuers/:id", use: update)
        group.delete("/trusted-issuers/:id", use: delete)
        group.post("/trusted-issuers/:id/refresh", use: refreshKeys)
    }

    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let page = try PageRequest(query: request)
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await TrustedIssuerStore(tx: tx).list(page: page))
        }
    }

    /// Created even when the keys cannot be fetched yet (as a server whose discovery fails): the
    /// answer's `keys_error` says why, and a refresh retries.
    @Sendable func create(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let (issuer, fields) = try await request.readJSONBody(context: context) { body -> (String, TrustedIssuerStore.Fields)? in
            let issuer = body.required("issuer", as: String.self, rule: Self.issuerURL)
            var fields = Self.fields(&body, creating: true)
            fields.algorithms = fields.algorithms ?? IssuerSigningAlgorithm.allCases
            guard let issuer, fields.audience != nil else { return nil }
            return (issuer, fields)
        }
        try await refresh.discovery.fetch.addressGuard.check(issuer, enteredBy: context.accountID, tenants: tenants, at: "/issuer", as: "issuer URL")
        let created = try await tenants.transaction(account: context.accountID) { tx in
            try await Self.checkGroupPolicies(fields, tx: tx)
            let created = try await TrustedIssuerStore(tx: tx).create(issuer: issuer, fields)
            try Self.requireGroupClaim(created)
            try await AdminAuditStore(tx: tx).record(.create, .trustedIssuer, id: created.id, by: context.actor, after: created)
            return created
        }
        let withKeys = try await refresh.refresh(created.id, account: context.accountID, logger: context.logger) ?? created
        return JSONResponse(status: .created, withKeys)
    }

    @Sendable func show(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let id = try context.id(of: "Trusted issuer")
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await TrustedIssuerStore(tx: tx).find(id))
        }
    }

    /// The issuer URL itself does not change: trust another issuer by creating it.
    @Sendable func update(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let id = try context.id(of: "Trusted issuer")
        let fields = try await request.readJSONBody(context: context) { body -> TrustedIssuerStore.Fields? in Self.fields(&body, creating: false) }
        return try await tenants.transaction(account: context.accountID) { tx in
            try await Self.checkGroupPolicies(fields, tx: tx)
            let issuers = TrustedIssuerStore(tx: tx)
            let before = try await issuers.find(id)
            let after = try await issuers.update(id, fields)
            try Self.requireGroupClaim(after)
            try await AdminAuditStore(tx: tx).record(.update, .trustedIssuer, id: id, by: context.actor, before: before, after: after)
            return JSONResponse(after)
        }
    }

    @Sendable func delete(request: Request, context: MemberRequestContext) async throws -> Response {
        try context.require(.administer)
        let id = try context.id(of: "Trusted issuer")
        return try await tenants.transaction(account: context.accountID) { tx in
            let issuers = TrustedIssuerStore(tx: tx)
            let before = try await issuers.find(id)
            try await issuers.delete(id)
            try await AdminAuditStore(tx: tx).record(.delete, .trustedIssuer, id: id, by: context.actor, before: before)
            return .noContent
        }
    }

    /// Fetches the keys now, e.g. right after the identity provider rotated them.
    @Sendable func refreshKeys(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let id = try context.id(of: "Trusted issuer")
        guard let refreshed = try await refresh.refresh(id, account: context.accountID, logger: context.logger) else {
            throw ProblemError.notFound("Trusted issuer")
        }
        try await tenants.transaction(account: context.accountID) { tx in
            try await AdminAuditStore(tx: tx).record(.refresh, .trustedIssuer, id: id, by: context.actor, after: refreshed)
        }
        return JSONResponse(refreshed)
    }

    private static func fields(_ body: inout JSONBodyReader, creating: Bool) -> TrustedIssuerStore.Fields {
        var fields = TrustedIssuerStore.Fields()
        fields.audience = creating
            ? body.required("audience", as: String.self, rule: Self.audience) : body.optional("audience", as: String.self, rule: Self.audience)
        fields.algorithms = body.optional("algorithms", as: [JSONValue].self, rule: Self.algorithms)?
            .compactMap { $0.stringValue.flatMap(IssuerSigningAlgorithm.init(rawValue:)) }
        fields.identityClaim = body.optional("identity_claim", as: String.self, rule: FieldRules.name)
        fields.groupClaim = body.patch("group_claim", as: String.self, nullable: true, rule: FieldRules.name)
        fields.groupPolicies = body.optional("group_policies", as: [JSONValue].self, rule: Self.groupPolicies)?.compactMap { entry in
            guard let group = entry["group"]?.stringValue, let policy = entry["policy_id"]?.stringValue.flatMap(UUID.init(uuidString:)) else { return nil }
            return SnapshotTrustedIssuer.GroupPolicy(group: group, policyID: policy)
        }
        return fields
    }

    /// An issuer identifier (OpenID Connect Discovery §2): an https URL without query or fragment.
    /// Whether its address is allowed is the SSRF guard's question, asked after reading the body.
    static func issuerURL(_ value: String) -> String? {
        guard value.utf8.count <= 2048, let url = URL(string: value), let scheme = url.scheme?.lowercased(), ["https", "http"].contains(scheme),
              let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil
        else { return "must be an absolute https:// URL without query or fragment" }
        return nil
    }

    static func audience(_ value: String) -> String? {
        (1...2048).contains(value.utf8.count) ? nil : "must be 1 to 2048 bytes"
    }

    static func algorithms(_ values: [JSONValue]) -> String? {
        let allowed = IssuerSigningAlgorithm.allCases.map(\.rawValue)
        guard !values.isEmpty, values.allSatisfy({ $0.stringValue.map(allowed.contains) ?? false }) else {
            return "must be a non-empty list of \(allowed.joined(separator: ", ")) (none and HS* are never accepted)"
        }
        return nil
    }

    static func groupPolicies(_ values: [JSONValue]) -> String? {
        guard values.count <= 100 else { return "must map at most 100 groups" }
        for entry in values {
            guard let object = entry.objectValue, Set(object.keys) == ["group", "policy_id"],
                  let group = object["group"]?.stringValue, FieldRules.name(group) == nil,
                  object["policy_id"]?.stringValue.flatMap(UUID.init(uuidString:)) != nil
            else { return #"must be a list of {"group": "name", "policy_id": "uuid"}"# }
        }
        return nil
    }

    /// Each mapped policy is a live policy of the account (another account's reads as missing).
    private static func checkGroupPolicies(_ fields: TrustedIssuerStore.Fields, tx: TenantTransaction) async throws {
        let mappings = fields.groupPolicies ?? []
        try await ReferencedObjects(tx: tx).require(
            mappings.enumerated().map { .policy($1.policyID, at: "/group_policies/\($0)/policy_id") })
    }

    /// Mapping groups needs a claim to read them from; checked on the result, so a PATCH that
    /// clears the claim of an issuer with mappings is refused too (and rolled back).
    private static func requireGroupClaim(_ issuer: TrustedIssuer) throws {
        if issuer.settings.groupClaim == nil, !issuer.settings.groupPolicies.isEmpty {
            throw ProblemError.invalidFields([.init(pointer: "/group_claim", message: "is required while group_policies map groups")])
        }
    }
}
