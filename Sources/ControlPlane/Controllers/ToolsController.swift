import Foundation
import Hummingbird
import JSON
import PolicyEngine
import Shared

/// A server's tool catalog: `GET /v1/servers/{id}/tools` for everyone, `PATCH .../tools/{name}`
/// (risk override, approval of the current definition) for admins, and the recommended policy.
struct ToolsController {
    let tenants: TenantDatabase

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/servers/:id/tools", use: list)
        group.patch("/servers/:id/tools/:name", use: update)
        group.get("/servers/:id/recommended-policy", use: recommendedPolicy)
    }

    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let server = try context.id(of: "Server")
        let page = try PageRequest(query: request)
        return try await tenants.transaction(account: context.accountID) { tx in
            _ = try await ServerStore(tx: tx).find(server)
            return JSONResponse(try await ToolStore(tx: tx).list(server: server, page: page))
        }
    }

    /// `{"risk_override": {"class", "severity"?} | null, "approve_hash": "<current definition_hash>"}`.
    /// Approving names the hash so an admin never approves a definition they have not seen: if the
    /// tool changed since they looked, the hashes differ and the answer is 409.
    @Sendable func update(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let server = try context.id(of: "Server")
        guard let name = context.parameters.get("name") else { throw ProblemError.notFound("Tool") }
        let (overridePatch, approveHash) = try await request.readJSONBody(context: context) { body -> (PatchValue<JSONObject>, String?)? in
            (body.patch("risk_override", as: JSONObject.self, nullable: true), body.optional("approve_hash", as: String.self))
        }
        let override = try overridePatch.newValue.map(Self.riskOverride)
        return try await tenants.transaction(account: context.accountID) { tx in
            _ = try await ServerStore(tx: tx).find(server)
            let tools = ToolStore(tx: tx)
            let before = try await tools.find(server: server, name: name)
            var after = before
            if let approveHash {
                // The hash is compared in the UPDATE itself: a discovery committing between the
                // read above and the write cannot slip its new definition into this approval.
                guard let approved = try await tools.approveDefinition(after, hash: approveHash, by: context.member.memberID) else {
                    throw ProblemError.conflict(
                        "approve_hash is not the tool's current definition hash; review the current definition and approve that.")
                }
                after = approved
            }
            if overridePatch.isSet {
                after = try await tools.setOverride(after, override)
            }
            try await AdminAuditStore(tx: tx).record(.update, .tool, id: before.id, by: context.actor, before: before, after: after)
            return JSONResponse(after)
        }
    }

    /// The starting policy for this server (design.md §5.8), from its listed tools' effective classes.
    @Sendable func recommendedPolicy(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let server = try context.id(of: "Server")
        return try await tenants.transaction(account: context.accountID) { tx in
            _ = try await ServerStore(tx: tx).find(server)
            let listed = try await ToolStore(tx: tx).all(server: server).filter { $0.removedAt == nil }
            return JSONResponse(RecommendedPolicy.document(for: listed.map { ($0.name, $0.riskClass) }))
        }
    }

    private static func riskOverride(_ object: JSONObject) throws -> RiskOverride {
        try JSONBodyReader.readNested(object, at: "/risk_override") { body, _ in
            let riskClass = body.required("class", as: RiskClass.self)
            let severity = body.optional("severity", as: RiskSeverity.self)
            return riskClass.map { RiskOverride(riskClass: $0, severity: severity) }
        }
    }
}

extension RiskClass: JSONBodyValue {}
extension RiskSeverity: JSONBodyValue {}
