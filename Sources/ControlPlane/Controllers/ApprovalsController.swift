import Foundation
import Hummingbird
import Shared

/// `/v1/approvals`: held tool calls (design.md §5.6). Everyone reads; admins and policy managers decide.
struct ApprovalsController {
    let tenants: TenantDatabase

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/approvals", use: list)
        group.get("/approvals/:id", use: show)
        group.post("/approvals/:id/approve", use: approve)
        group.post("/approvals/:id/deny", use: deny)
    }

    /// `?status=pending|approved|denied|expired|consumed`.
    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let page = try PageRequest(query: request)
        var status: ApprovalStore.Status?
        if let text = request.uri.queryParameters["status"] {
            guard let value = ApprovalStore.Status(rawValue: String(text)) else {
                throw ProblemError.badRequest("status must be one of \(ApprovalStore.Status.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            status = value
        }
        return try await tenants.transaction(account: context.accountID) { [status] tx in
            JSONResponse(try await ApprovalStore(tx: tx).list(status: status, page: page))
        }
    }

    @Sendable func show(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let id = try context.id(of: "Approval")
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await ApprovalStore(tx: tx).find(id))
        }
    }

    @Sendable func approve(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try await decide(.approved, request: request, context: context)
    }

    @Sendable func deny(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try await decide(.denied, request: request, context: context)
    }

    /// `{"reason"?}`; an empty body is accepted too, since a reason is optional.
    private func decide(_ verdict: ApprovalStore.Verdict, request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.decideApprovals)
        let id = try context.id(of: "Approval")
        var request = request
        let bodyBytes = try await request.collectBody(upTo: context.maxUploadSize)
        var reason: String?
        if bodyBytes.readableBytes > 0 {
            reason = try await request.readJSONBody(context: context) { body -> String?? in
                .some(body.optional("reason", as: String.self, rule: { $0.count <= 2000 ? nil : "must be at most 2000 characters" }))
            }
        }
        return try await tenants.transaction(account: context.accountID) { [reason] tx in
            let approvals = ApprovalStore(tx: tx)
            let before = try await approvals.find(id)
            let after = try await approvals.decide(id, verdict, reason: reason, by: context.member.memberID)
            let action: AdminAuditStore.Action = verdict == .approved ? .approve : .deny
            try await AdminAuditStore(tx: tx).record(action, .approval, id: id, by: context.actor, before: before, after: after)
            return JSONResponse(after)
        }
    }
}
