import Foundation
import Hummingbird
import JSON
import Shared

/// `/v1/identities/{id}/credentials`: an identity's own upstream credential per server (issue 14
/// item 5), sent upstream instead of the server's when the server's `credential_mode` says so.
/// Everyone reads that a credential exists and its kind, never the secret. Identities have no
/// owning member in the model (design.md §2), so setting and removing one is the admin's, as for
/// the identity itself. `POST .../oauth` starts an upstream OAuth connect instead (`UpstreamOAuthConnect`);
/// each answer carries the connection's status under `oauth`.
struct IdentityCredentialsController {
    let tenants: TenantDatabase
    /// Seals under `PORTCULLIS_SECRET_KEYS`; without keys no credential can be stored.
    let sealer: SecretSealer?
    let connect: UpstreamOAuthConnect

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/identities/:id/credentials", use: list)
        group.get("/identities/:id/credentials/:serverId", use: show)
        group.put("/identities/:id/credentials/:serverId", use: put)
        group.delete("/identities/:id/credentials/:serverId", use: delete)
        group.post("/identities/:id/credentials/:serverId/oauth", use: startOAuth)
    }

    /// `{"items": [...]}`: one per server at most, so never paged.
    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let identity = try context.id(of: "Identity")
        return try await tenants.transaction(account: context.accountID) { tx in
            _ = try await IdentityStore(tx: tx).find(identity)
            let credentials = try await IdentityCredentialStore(tx: tx).list(identity: identity)
            let connections = try await UpstreamOAuthStore(tx: tx).connections(identity: identity)
            let connectionsOnly = connections.filter { connection in !credentials.contains { $0.serverID == connection.serverID } }
            let items = credentials.map { credential in Self.json(credential, connections.first { $0.serverID == credential.serverID }) }
                + connectionsOnly.map { Self.json(nil, $0) }
            return JSONResponse(["items": .array(items)])
        }
    }

    @Sendable func show(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let (identity, server) = try ids(context)
        return try await tenants.transaction(account: context.accountID) { tx in
            let credential = try await IdentityCredentialStore(tx: tx).existing(identity: identity, server: server)
            let connection = try await UpstreamOAuthStore(tx: tx).connection(identity: identity, server: server)
            guard credential != nil || connection != nil else { throw ProblemError.notFound("Credential") }
            return JSONResponse(Self.json(credential, connection))
        }
    }

    /// `{}` or `{"client_id": "..", "client_secret": ".."}` (for an authorization server without
    /// dynamic registration) → `{"authorization_url": ".."}`, which the identity's member opens
    /// in a browser; the authorization server sends it back to `/v1/upstream-oauth/callback`.
    @Sendable func startOAuth(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let (identity, server) = try ids(context)
        let (clientID, secret) = try await request.readJSONBody(context: context) { body -> (String?, String?)? in
            (body.optional("client_id", as: String.self, rule: Self.clientField), body.optional("client_secret", as: String.self, rule: Self.clientField))
        }
        if secret != nil, clientID == nil { throw ProblemError.invalidFields([.init(pointer: "/client_secret", message: "is only used with client_id")]) }
        let supplied = clientID.map { UpstreamOAuthConnect.SuppliedClient(clientID: $0, clientSecret: secret) }
        let url = try await connect.start(identity: identity, server: server, account: context.accountID, client: supplied, by: context.actor)
        return JSONResponse(["authorization_url": .string(url)])
    }

    private static func clientField(_ value: String) -> String? {
        UpstreamAuthorizationServerClient.isStorable(value) ? nil : "must be 1 to 8192 printable ASCII characters without spaces"
    }

    /// A credential with its connection's status (`oauth`, null when it has none); a failed
    /// connection without a credential shows as one with `auth` null.
    static func json(_ credential: IdentityCredential?, _ connection: UpstreamOAuthConnection?) -> JSONValue {
        guard var object = credential?.json.objectValue ?? connection.map({ connection in
            JSONObject([
                ("identity_id", .uuid(connection.identityID)), ("server_id", .uuid(connection.serverID)), ("auth", .null), ("source", "oauth"),
                ("expires_at", .null), ("created_at", .timestamp(connection.createdAt)), ("updated_at", .timestamp(connection.updatedAt)),
            ])
        }) else { return .null }
        object["oauth"] = connection?.json ?? .null
        return .object(object)
    }

    /// `{"auth": {"type": "bearer", "token": ".."} | {"type": "headers", "headers": {..}}}`: the
    /// shapes a server's `auth` takes, less `none` (no credential is `DELETE`). Replaces any
    /// credential the identity had for the server: 201 when there was none, else 200.
    @Sendable func put(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.administer)
        let (identity, server) = try ids(context)
        let authObject = try await request.readJSONBody(context: context) { body -> JSONObject? in
            body.required("auth", as: JSONObject.self)
        }
        let auth = try ServerInput.auth(authObject)
        guard auth != .none else {
            throw ProblemError.invalidFields([.init(pointer: "/auth/type", message: "must be bearer or headers; to remove a credential, DELETE it")])
        }
        guard let sealer else { throw ProblemError.noSecretKeys }
        // `auth` is not `.none`, so there is a ciphertext.
        guard let sealed = try auth.sealed(
            with: sealer, boundTo: UpstreamAuth.binding(account: context.accountID, server: server, identity: identity))
        else { throw ProblemError.internalError }
        return try await tenants.transaction(account: context.accountID) { tx in
            _ = try await IdentityStore(tx: tx).find(identity)
            _ = try await ServerStore(tx: tx).find(server)
            let credentials = IdentityCredentialStore(tx: tx)
            let before = try await credentials.existing(identity: identity, server: server)
            let (credential, created) = try await credentials.put(identity: identity, server: server, type: auth.storedType, sealed: sealed)
            // A static credential replaces a connection: the refresher must not overwrite it.
            try await UpstreamOAuthStore(tx: tx).deleteConnection(identity: identity, server: server)
            try await AdminAuditStore(tx: tx).record(
                created ? .create : .update, .identityCredential, id: credential.id, by: context.actor, before: before, after: credential)
            return JSONResponse(status: created ? .created : .ok, credential)
        }
    }

    @Sendable func delete(request: Request, context: MemberRequestContext) async throws -> Response {
        try context.require(.administer)
        let (identity, server) = try ids(context)
        return try await tenants.transaction(account: context.accountID) { tx in
            let credentials = IdentityCredentialStore(tx: tx)
            let before = try await credentials.existing(identity: identity, server: server)
            try await credentials.delete(identity: identity, server: server)
            // The connection goes too, so nothing refreshes the credential back.
            let hadConnection = try await UpstreamOAuthStore(tx: tx).deleteConnection(identity: identity, server: server)
            if let before {
                try await AdminAuditStore(tx: tx).record(.delete, .identityCredential, id: before.id, by: context.actor, before: before)
            } else if !hadConnection {
                throw ProblemError.notFound("Credential")
            }
            return .noContent
        }
    }

    private func ids(_ context: MemberRequestContext) throws -> (identity: UUID, server: UUID) {
        (try context.id(of: "Identity"), try context.id("serverId", of: "Server"))
    }
}

extension UpstreamCredentialMode: JSONBodyValue {}
