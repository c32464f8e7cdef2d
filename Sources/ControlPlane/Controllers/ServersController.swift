import Foundation
import Hummingbird
import JSON
import Shared

/// `/v1/servers`: everyone reads; admins register, change and delete; admins and policy managers
/// ask for a discovery. Credentials are sealed before they reach the database and never shown.
struct ServersController {
    let tenants: TenantDatabase
    let discovery: ServerDiscovery
    let urls: GatewayURLs

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/servers", use: list)
        group.post("/servers", use: create)
        group.get("/servers/:id", use: show)
        group.patch("/servers/:id", use: update)
        group.delete("/servers/:id", use: delete)
        group.post("/servers/:id/discover", use: discover)
    }

    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let page = try PageRequest(query: request)
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await ServerStore(tx: tx).list(page: page))
        }
    }

    /// Registers the server, then discovers its tools (design.md §5.7). A failed discovery does not
    /// fail the registration: the server answers with status `unreachable` and the reason.
    @Sendable func create(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let body = try await request.readJSONBody(context: context) { body -> (name: String, description: String?, url: String, auth: JSONObject?, credentialMode: UpstreamCredentialMode?, timeouts: JSONObject?)? in
            let name = body.required("name", as: String.self, rule: FieldRules.name)
            let description = body.optional("description", as: String.self)
            let url = body.required("url", as: String.self)
            let auth = body.optional("auth", as: JSONObject.self)
            let credentialMode = body.optional("credential_mode", as: UpstreamCredentialMode.self)
            let timeouts = body.optional("timeouts", as: JSONObject.self)
            guard let name, let url else { return nil }
            return (name, description, url, auth, credentialMode, timeouts)
        }
        let (name, description, url) = (body.name, body.description, body.url)
        let auth = try body.auth.map(ServerInput.auth) ?? UpstreamAuth.none
        let timeouts = try body.timeouts.map { try ServerInput.timeouts($0, over: ServerTimeouts()) } ?? ServerTimeouts()
        try await checkUpstream(url, account: context.accountID)
        let id = UUID()
        let stored = try seal(auth, account: context.accountID, server: id)
        try await tenants.transaction(account: context.accountID) { tx in
            let server = try await ServerStore(tx: tx).create(
                id: id, name: name, description: description, url: url, auth: stored, credentialMode: body.credentialMode ?? .shared,
                timeouts: timeouts)
            try await AdminAuditStore(tx: tx).record(.create, .server, id: id, by: context.actor, after: server)
        }
        _ = try await discovery.discover(server: id, account: context.accountID, logger: context.logger)
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(status: .created, try await ServerStore(tx: tx).find(id))
        }
    }

    /// One server, with its gateway URL and the client configuration that connects to it through
    /// OAuth (issue 14 item 6): no token in it, the client signs in through the consent page.
    @Sendable func show(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let id = try context.id(of: "Server")
        return try await tenants.transaction(account: context.accountID) { tx in
            let server = try await ServerStore(tx: tx).find(id)
            guard case .object(var object) = server.json else { return JSONResponse(server) }
            let gatewayURL = urls.gatewayURL(server: id)
            object["gateway_url"] = .string(gatewayURL)
            object["oauth_client_config"] = GrantClientConfig.json(serverName: server.name, gatewayURL: gatewayURL, token: nil)
            return JSONResponse(.object(object))
        }
    }

    /// A new URL passes the SSRF guard again; new credentials replace the old ones entirely.
    @Sendable func update(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let id = try context.id(of: "Server")
        let body = try await request.readJSONBody(context: context) { body -> (name: String?, description: PatchValue<String>, url: String?, auth: JSONObject?, credentialMode: UpstreamCredentialMode?, timeouts: JSONObject?)? in
            (
                body.optional("name", as: String.self, rule: FieldRules.name),
                body.patch("description", as: String.self, nullable: true),
                body.optional("url", as: String.self),
                body.optional("auth", as: JSONObject.self),
                body.optional("credential_mode", as: UpstreamCredentialMode.self),
                body.optional("timeouts", as: JSONObject.self)
            )
        }
        var fields = ServerStore.Fields(name: body.name, description: body.description, url: body.url, credentialMode: body.credentialMode)
        let auth = try body.auth.map(ServerInput.auth)
        if let url = fields.url { try await checkUpstream(url, account: context.accountID) }
        fields.auth = try auth.map { try seal($0, account: context.accountID, server: id) }
        let after = try await tenants.transaction(account: context.accountID) { tx in
            let servers = ServerStore(tx: tx)
            let before = try await servers.find(id)
            fields.timeouts = try body.timeouts.map { try ServerInput.timeouts($0, over: before.timeouts) }
            let after = try await servers.update(id, fields)
            try await AdminAuditStore(tx: tx).record(.update, .server, id: id, by: context.actor, before: before, after: after)
            return after
        }
        // The catalog describes the old upstream until it is listed at the new address.
        guard fields.url != nil || auth != nil else { return JSONResponse(after) }
        _ = try await discovery.discover(server: id, account: context.accountID, logger: context.logger)
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await ServerStore(tx: tx).find(id))
        }
    }

    @Sendable func delete(request: Request, context: MemberRequestContext) async throws -> Response {
        try context.require(.administer)
        let id = try context.id(of: "Server")
        return try await tenants.transaction(account: context.accountID) { tx in
            let servers = ServerStore(tx: tx)
            let before = try await servers.find(id)
            try await servers.delete(id)
            try await AdminAuditStore(tx: tx).record(.delete, .server, id: id, by: context.actor, before: before)
            return .noContent
        }
    }

    /// `{"server": {...}, "discovery": {"listed", "added", "changed", "removed", "auto_approved"} | null}`;
    /// a failed discovery is still a 200 (the request was carried out), its reason in the server's
    /// `status_detail`.
    @Sendable func discover(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.managePolicies)
        let id = try context.id(of: "Server")
        _ = try await tenants.transaction(account: context.accountID) { try await ServerStore(tx: $0).find(id) }
        let outcome = try await discovery.discover(server: id, account: context.accountID, logger: context.logger)
        return try await tenants.transaction(account: context.accountID) { tx in
            let server = try await ServerStore(tx: tx).find(id)
            var summary: JSONValue = .null
            if case .discovered(let result) = outcome {
                summary = result.json
                try await AdminAuditStore(tx: tx).record(.discover, .server, id: id, by: context.actor, after: result)
            }
            return JSONResponse(["server": server.json, "discovery": summary])
        }
    }

    /// The SSRF guard (issue 4), with the account's own allowance: a refusal is a 400 at `/url`.
    private func checkUpstream(_ url: String, account: UUID) async throws {
        try await discovery.addressGuard.check(url, enteredBy: account, tenants: tenants, at: "/url", as: "upstream URL")
    }

    private func seal(_ auth: UpstreamAuth, account: UUID, server: UUID) throws -> ServerStore.StoredAuth {
        guard auth != .none else { return ServerStore.StoredAuth(type: auth.storedType, sealed: nil) }
        guard let sealer = discovery.sealer else { throw ProblemError.noSecretKeys }
        return ServerStore.StoredAuth(type: auth.storedType, sealed: try auth.sealed(with: sealer, account: account, server: server))
    }
}
