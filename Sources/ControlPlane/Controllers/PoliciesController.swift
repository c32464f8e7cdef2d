import Foundation
import Hummingbird
import JSON
import PolicyEngine
import Shared

/// `/v1/policies`: everyone reads; admins and policy managers write. Every change is a new
/// immutable version (design.md §2), and a document is stored only when the engine accepts it.
struct PoliciesController {
    let tenants: TenantDatabase
    /// `--max-policy-bytes` (issue 10 item 15): every worker compiles every policy.
    var maxDocumentBytes = AccountLimits().policyBytes
    /// `--simulations-per-minute`, per account (issue 10 item 12).
    var simulations = ClientRateLimiter(rate: .perMinute(60), subject: "this account's simulations")

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/policies", use: list)
        group.post("/policies", use: create)
        group.post("/policies/validate", use: validate)
        group.get("/policies/:id", use: show)
        group.put("/policies/:id", use: replace)
        group.delete("/policies/:id", use: delete)
        group.get("/policies/:id/versions", use: versions)
        group.post("/policies/:id/simulate", use: simulate)
    }

    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let page = try PageRequest(query: request)
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await PolicyStore(tx: tx).list(page: page))
        }
    }

    /// `{"name", "description"?, "server_id"?, "document"}`.
    @Sendable func create(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.managePolicies)
        let (name, description, serverID, document) = try await request.readJSONBody(context: context) {
            body -> (String, String?, UUID?, JSONObject)? in
            let name = body.required("name", as: String.self, rule: FieldRules.name)
            let description = body.optional("description", as: String.self)
            let serverID = body.optional("server_id", as: UUID.self)
            let document = body.required("document", as: JSONObject.self)
            guard let name, let document else { return nil }
            return (name, description, serverID, document)
        }
        try requireValid(.object(document))
        return try await tenants.transaction(account: context.accountID) { tx in
            try await ReferencedObjects(tx: tx).require([.server(serverID)])
            let policy = try await PolicyStore(tx: tx).create(
                name: name, description: description, serverID: serverID, document: .object(document), by: context.member.memberID)
            try await AdminAuditStore(tx: tx).record(.create, .policy, id: policy.id, by: context.actor, after: policy)
            return JSONResponse(status: .created, policy)
        }
    }

    /// `{"document"}`: 200 `{"valid": true}`, or 400 with every problem at `/document/...`.
    @Sendable func validate(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let document = try await request.readJSONBody(context: context) { body in
            body.required("document", as: JSONValue.self)
        }
        try requireValid(document)
        return JSONResponse(["valid": true])
    }

    @Sendable func show(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let id = try context.id(of: "Policy")
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await PolicyStore(tx: tx).find(id))
        }
    }

    /// `{"document", "name"?, "description"?}` → the policy at its new version.
    @Sendable func replace(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.managePolicies)
        let id = try context.id(of: "Policy")
        let (document, name, description) = try await request.readJSONBody(context: context) {
            body -> (JSONObject, String?, PatchValue<String>)? in
            let document = body.required("document", as: JSONObject.self)
            let name = body.optional("name", as: String.self, rule: FieldRules.name)
            let description = body.patch("description", as: String.self, nullable: true)
            return document.map { ($0, name, description) }
        }
        try requireValid(.object(document))
        return try await tenants.transaction(account: context.accountID) { tx in
            let policies = PolicyStore(tx: tx)
            let before = try await policies.find(id)
            let after = try await policies.update(
                id, name: name, description: description, document: .object(document), by: context.member.memberID)
            try await AdminAuditStore(tx: tx).record(.update, .policy, id: id, by: context.actor, before: before, after: after)
            return JSONResponse(after)
        }
    }

    /// Soft delete: grants using the policy deny every call from the next snapshot on.
    @Sendable func delete(request: Request, context: MemberRequestContext) async throws -> Response {
        try context.require(.managePolicies)
        let id = try context.id(of: "Policy")
        return try await tenants.transaction(account: context.accountID) { tx in
            let policies = PolicyStore(tx: tx)
            let before = try await policies.find(id)
            try await policies.delete(id)
            try await AdminAuditStore(tx: tx).record(.delete, .policy, id: id, by: context.actor, before: before)
            return .noContent
        }
    }

    @Sendable func versions(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let id = try context.id(of: "Policy")
        return try await tenants.transaction(account: context.accountID) { tx in
            let versions = try await PolicyStore(tx: tx).versions(of: id)
            return JSONResponse(["items": .array(versions.map(\.json)), "next_cursor": nil])
        }
    }

    /// Decides one call as a worker would, without forwarding it or consuming a counter. The
    /// engine runs between two short transactions, never inside one (issue 10 item 12).
    @Sendable func simulate(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let id = try context.id(of: "Policy")
        try simulations.admit(context.accountID.uuidString)
        let call = try await request.readJSONBody(context: context) { body in SimulatedCall(body: &body) }
        let input = try await tenants.transaction(account: context.accountID) { tx in
            try await PolicySimulation(tx: tx).prepare(call, policy: id)
        }
        let now = Date()
        let time = PolicyTime(millisecondsSince1970: Int64((now.timeIntervalSince1970 * 1000).rounded(.down)))
        let decided = try input.decide(at: time)
        let outcome = try await tenants.transaction(account: context.accountID) { tx in
            try await PolicySimulation(tx: tx).count(decided, at: time)
        }
        return JSONResponse(input.json(outcome))
    }

    /// design.md §4: every problem of the document, each at its pointer under `/document`; first its size.
    private func requireValid(_ document: JSONValue) throws {
        let size = document.serializedBytes().count
        guard size <= maxDocumentBytes else {
            throw ProblemError.invalidFields([.init(pointer: "/document", message: "is \(size) bytes; at most \(maxDocumentBytes) are allowed")])
        }
        let problems = CompiledPolicy.validate(document)
        guard problems.isEmpty else {
            throw ProblemError(
                status: .badRequest, detail: "The policy document is invalid.",
                errors: problems.map { .init(pointer: "/document" + $0.pointer, message: $0.message) })
        }
    }
}
