import Crypto
import Foundation
import JSON
import Logging
import Shared

/// Upstream OAuth connect (issue 14 item 5): an identity's authorization at an OAuth-protected
/// upstream, obtained by the authorization code flow with PKCE S256 and RFC 8707 `resource`. The
/// access token becomes the identity's credential for the server (`identity_credentials`, source
/// `oauth`, published to workers like any other); the refresh token stays sealed in the connection.
struct UpstreamOAuthConnect: Sendable {
    let tenants: TenantDatabase
    /// Seals the verifier, client secret, refresh token and access token; nil without keys.
    let sealer: SecretSealer?
    let fetch: GuardedDocumentFetch
    /// `<--public-url>/v1/upstream-oauth/callback`, registered with every authorization server.
    let redirectURI: String

    /// What an admin may supply when the authorization server has no dynamic registration.
    struct SuppliedClient: Sendable {
        let clientID: String
        let clientSecret: String?
    }

    /// What the admin audit log records of a started connect (never the state or the verifier).
    struct StartedConnect: JSONRepresentable {
        let identity: UUID
        let server: UUID
        let issuer: String
        let clientID: String

        var json: JSONValue { ["identity_id": .uuid(identity), "server_id": .uuid(server), "issuer": .string(issuer), "client_id": .string(clientID)] }
    }

    /// Discovers the upstream's authorization server, registers (or reuses) a client there, and
    /// stores a pending request. Returns the URL the member opens in a browser.
    func start(identity: UUID, server: UUID, account: UUID, client supplied: SuppliedClient?, by actor: AdminActor) async throws -> String {
        guard let sealer else { throw ProblemError.noSecretKeys }
        let (serverURL, cidrs) = try await tenants.transaction(account: account) { tx in
            _ = try await IdentityStore(tx: tx).find(identity)
            return (try await ServerStore(tx: tx).find(server).url, try await AccountStore(tx: tx).current().allowedUpstreamCIDRs)
        }
        let fetch = fetch.allowing(cidrs: cidrs)
        let authorizationServer: UpstreamAuthorizationServer
        do {
            authorizationServer = try await UpstreamOAuthDiscovery(fetch: fetch).discover(serverURL: serverURL)
        } catch {
            throw Self.problem(error)
        }
        let client = try await client(for: authorizationServer, server: server, account: account, supplied: supplied, fetch: fetch, sealer: sealer)
        let state = Self.randomText(), verifier = Self.randomText()
        let sealedVerifier = try sealer.seal(Array(verifier.utf8), boundTo: UpstreamOAuthBinding.verifier(account: account, server: server, identity: identity))
        try await tenants.transaction(account: account) { tx in
            try await UpstreamOAuthStore(tx: tx).createRequest(.init(
                stateHash: SecretToken.hash(of: state), identity: identity, server: server, authorizationServer: authorizationServer,
                clientID: client.clientID, redirectURI: redirectURI, sealedVerifier: sealedVerifier))
            try await AdminAuditStore(tx: tx).record(
                .connect, .identityCredential, id: nil, by: actor,
                after: StartedConnect(identity: identity, server: server, issuer: authorizationServer.issuer, clientID: client.clientID))
        }
        return OAuthRedirect.url(authorizationServer.authorizationEndpoint, [
            ("response_type", "code"), ("client_id", client.clientID), ("redirect_uri", redirectURI),
            ("code_challenge", PKCE.challenge(of: verifier)), ("code_challenge_method", "S256"), ("state", state),
            ("resource", authorizationServer.resource), ("scope", authorizationServer.scope),
        ])
    }

    /// The admin's client when given (stored for later connects), else the one stored for this
    /// server and issuer, else a new one by dynamic registration.
    private func client(
        for authorizationServer: UpstreamAuthorizationServer, server: UUID, account: UUID, supplied: SuppliedClient?,
        fetch: GuardedDocumentFetch, sealer: SecretSealer
    ) async throws -> UpstreamOAuthClientCredentials {
        let issuer = authorizationServer.issuer, binding = UpstreamOAuthBinding.clientSecret(account: account, server: server, issuer: issuer)
        if supplied == nil, let stored = try await tenants.transaction(account: account, { try await UpstreamOAuthStore(tx: $0).client(server: server, issuer: issuer) }) {
            return UpstreamOAuthClientCredentials(
                clientID: stored.clientID, clientSecret: try stored.sealedSecret.map { String(decoding: try sealer.open($0, boundTo: binding), as: UTF8.self) })
        }
        let client: UpstreamOAuthClientCredentials
        if let supplied {
            client = UpstreamOAuthClientCredentials(clientID: supplied.clientID, clientSecret: supplied.clientSecret)
        } else {
            guard let endpoint = authorizationServer.registrationEndpoint else {
                throw ProblemError.badRequest(
                    "The authorization server \(issuer) offers no dynamic client registration: register Portcullis there with the redirect URI \(redirectURI) and pass its client_id.")
            }
            do {
                client = try await UpstreamAuthorizationServerClient(fetch: fetch).register(at: endpoint, redirectURI: redirectURI)
            } catch {
                throw Self.problem(error)
            }
        }
        let sealedSecret = try client.clientSecret.map { try sealer.seal(Array($0.utf8), boundTo: binding) }
        try await tenants.transaction(account: account) { tx in
            try await UpstreamOAuthStore(tx: tx).saveClient(server: server, issuer: issuer, clientID: client.clientID, sealedSecret: sealedSecret)
        }
        return client
    }

    /// How a callback ended, in words for the member's browser (never a code or a token).
    enum Outcome: Sendable, Equatable {
        case connected
        case refused(String)
    }

    /// The authorization server's redirect back: `state` names the request (one use), `iss` must
    /// be the server's (RFC 9207), then the code is exchanged and the tokens stored.
    func finish(state: String?, code: String?, iss: String?, error: String?, database: Database, logger: Logger) async throws -> Outcome {
        guard let state, let request = try await UpstreamOAuthStore.takeRequest(stateHash: SecretToken.hash(of: state), database: database) else {
            return .refused("This link is unknown or was already used. Start the connection again.")
        }
        guard !request.expired else { return .refused("This connection request has expired. Start the connection again.") }
        let outcome = await exchange(request, code: code, iss: iss, error: error)
        switch outcome {
        case .success(let tokens):
            try await store(tokens, for: request)
            logger.info("upstream oauth connected", metadata: ["identity.id": "\(request.identity)", "server.id": "\(request.server)", "account.id": "\(request.account)"])
            return .connected
        case .failure(let reason):
            try await tenants.transaction(account: request.account) { try await UpstreamOAuthStore(tx: $0).recordFailed(request, reason: reason.text) }
            logger.notice("upstream oauth connect failed", metadata: [
                "identity.id": "\(request.identity)", "server.id": "\(request.server)", "account.id": "\(request.account)", "reason": "\(reason.text)",
            ])
            return .refused(reason.text)
        }
    }

    private struct Reason: Error {
        let text: String
    }

    private func exchange(_ request: PendingUpstreamAuthorization, code: String?, iss: String?, error: String?) async -> Result<UpstreamTokens, Reason> {
        if error != nil {
            let named = UpstreamAuthorizationServerClient.plainCode(error).map { " (\($0))" } ?? ""
            return .failure(Reason(text: "The authorization server did not authorize the connection\(named)."))
        }
        // RFC 9207 §2.4: when the server says it sends `iss`, a redirect without it or with
        // another issuer is refused (a mix-up attack); when it does not, one that is present must still match.
        if request.issRequired || iss != nil {
            guard let iss, UpstreamOAuthDiscovery.sameURL(iss, request.issuer) else {
                return .failure(Reason(text: "The redirect's iss does not name the authorization server the connection started with."))
            }
        }
        guard let code, !code.isEmpty else { return .failure(Reason(text: "The redirect carries no authorization code.")) }
        guard let sealer else { return .failure(Reason(text: "The control plane has no secret keys.")) }
        do {
            let verifier = String(decoding: try sealer.open(
                request.sealedVerifier, boundTo: UpstreamOAuthBinding.verifier(account: request.account, server: request.server, identity: request.identity)),
                as: UTF8.self)
            let client = try await storedClient(request, sealer: sealer)
            let fetch = try await fetch(for: request.account)
            return .success(try await UpstreamAuthorizationServerClient(fetch: fetch).exchange(
                code: code, verifier: verifier, redirectURI: request.redirectURI, resource: request.resource, client: client, at: request.tokenEndpoint))
        } catch let failure as UpstreamAuthorizationServerClient.TokenFailure {
            return .failure(Reason(text: failure.description))
        } catch {
            return .failure(Reason(text: "The connection could not be completed."))
        }
    }

    /// The client a request or connection was made with (its secret from `upstream_oauth_clients`).
    func storedClient(account: UUID, server: UUID, issuer: String, clientID: String, sealer: SecretSealer) async throws -> UpstreamOAuthClientCredentials {
        let stored = try await tenants.transaction(account: account) { try await UpstreamOAuthStore(tx: $0).client(server: server, issuer: issuer) }
        // A client replaced since (an admin supplied another) has no secret of ours: public.
        guard let stored, stored.clientID == clientID, let sealed = stored.sealedSecret else { return UpstreamOAuthClientCredentials(clientID: clientID, clientSecret: nil) }
        let secret = try sealer.open(sealed, boundTo: UpstreamOAuthBinding.clientSecret(account: account, server: server, issuer: issuer))
        return UpstreamOAuthClientCredentials(clientID: clientID, clientSecret: String(decoding: secret, as: UTF8.self))
    }

    private func storedClient(_ request: PendingUpstreamAuthorization, sealer: SecretSealer) async throws -> UpstreamOAuthClientCredentials {
        try await storedClient(account: request.account, server: request.server, issuer: request.issuer, clientID: request.clientID, sealer: sealer)
    }

    /// The guarded fetch with the account's operator-granted ranges.
    func fetch(for account: UUID) async throws -> GuardedDocumentFetch {
        fetch.allowing(cidrs: try await tenants.transaction(account: account) { try await AccountStore(tx: $0).current().allowedUpstreamCIDRs })
    }

    private func store(_ tokens: UpstreamTokens, for request: PendingUpstreamAuthorization) async throws {
        guard let sealer else { throw ProblemError.noSecretKeys }
        try await tenants.transaction(account: request.account) { tx in
            let sealedRefresh = try tokens.refreshToken.map {
                try sealer.seal(Array($0.utf8), boundTo: UpstreamOAuthBinding.refreshToken(account: request.account, server: request.server, identity: request.identity))
            }
            let expiresAt = tokens.expiresIn.map { Date().addingTimeInterval(TimeInterval($0)) }
            try await UpstreamOAuthStore(tx: tx).recordConnected(request, sealedRefreshToken: sealedRefresh, accessExpiresAt: expiresAt)
            try await Self.publish(tokens.accessToken, expiresAt: expiresAt, identity: request.identity, server: request.server, tx: tx, sealer: sealer)
        }
    }

    /// The access token as the identity's bearer credential for the server, for workers.
    static func publish(_ accessToken: String, expiresAt: Date?, identity: UUID, server: UUID, tx: TenantTransaction, sealer: SecretSealer) async throws {
        let auth = UpstreamAuth.bearer(token: accessToken)
        guard let sealed = try auth.sealed(with: sealer, boundTo: UpstreamAuth.binding(account: tx.account, server: server, identity: identity)) else { return }
        _ = try await IdentityCredentialStore(tx: tx).put(identity: identity, server: server, type: auth.storedType, sealed: sealed, source: .oauth, expiresAt: expiresAt)
    }

    /// 32 random bytes in base64url: a state or a PKCE verifier (43 characters, RFC 7636 §4.1).
    static func randomText() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// A discovery or registration failure as the admin sees it: 400 when the guard refused an
    /// address, else 502 (the upstream or its authorization server is at fault).
    static func problem(_ failure: GuardedDocumentFetch.Failure) -> ProblemError {
        ProblemError(status: failure.refused ? .badRequest : .badGateway, detail: failure.description)
    }
}

extension APIConfiguration {
    func upstreamOAuthConnect(tenants: TenantDatabase) -> UpstreamOAuthConnect {
        UpstreamOAuthConnect(
            tenants: tenants, sealer: credentialSealer,
            // Metadata and token answers are small: 64 KiB is generous (issue 14 item 5, hostile peers).
            fetch: GuardedDocumentFetch(addressGuard: upstreamAddressGuard, maxBytes: 64 * 1024, timeout: upstreamOAuthTimeout),
            redirectURI: oauth.url(UpstreamOAuthCallbackController.path))
    }
}
