import Foundation
import Hummingbird
import JSON
import Shared

/// `/v1/identities/{id}/credentials`: an identity's own upstream credential per server (issue 14
/// item 5), sent upstream instead of the server's when the server's `credential_mode` says so.
/// Everyone reads that a credential exists and its kind, never the secret. Identities have no
/// owning member in the model (design.md §2), so setting and removing one is the admin's, as for
/// the identity itself.
struct IdentityCredentialsController {
    let tenants: TenantDatabase
    /// Seals under `PORTCULLIS_SECRET_KEYS`; without keys no credential can be stored.
    let sealer: SecretSealer?

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/identities/:id/credentials", use: list)
        group.get("/identities/:id/credentials/:serverId", use: show)
        group.put("/identities/:id/credentials/:serverId", use: put)
        group.delete("/identities/:id/credentials/:serverId", use: delete)
    }

    /// `{"items": [...]}`: one per server at most, so never paged.
    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let identity = try context.id(of: "Identity")
        return try await tenants.transaction(account: context.accountID) { tx in
            _ = try await IdentityStore(tx: tx).find(identity)
            let items = try await IdentityCredentialStore(tx: tx).list(identity: identity)
            return JSONResponse(["items": .array(items.map(\.json))])
        }
    }

    @Sendable func show(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let (identity, server) = try ids(context)
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await IdentityCredentialStore(tx: tx).find(identity: identity, server: server))
        }
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
            let before = try await credentials.find(identity: identity, server: server)
            try await credentials.delete(identity: identity, server: server)
            try await AdminAuditStore(tx: tx).record(.delete, .identityCredential, id: before.id, by: context.actor, before: before)
            return .noContent
        }
    }

    private func ids(_ context: MemberRequestContext) throws -> (identity: UUID, server: UUID) {
        (try context.id(of: "Identity"), try context.id("serverId", of: "Server"))
    }
}

extension UpstreamCredentialMode: JSONBodyValue {}
