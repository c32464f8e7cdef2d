import Foundation
import Shared

@testable import Gateway

/// A snapshot of two accounts, each with a server and a grant, and a signing key of the control
/// plane, with one OAuth authorization per grant (issue 14): what `OAuthTokenVerifier` reads.
struct OAuthWorld {
    static let gateway = ProtectedResource(publicGatewayURL: "https://gateway.example/")

    let mint: AccessTokenMint
    let retiredMint: AccessTokenMint
    var entities: SnapshotEntities
    let server: UUID
    let otherServer: UUID
    let authorization: SnapshotOAuthAuthorization
    /// The other account's.
    let foreignAuthorization: SnapshotOAuthAuthorization

    init(now: Date = Date()) {
        mint = AccessTokenMint()
        retiredMint = AccessTokenMint(issuer: mint.issuer, retiresAt: now.addingTimeInterval(-1))
        let (account, foreignAccount) = (UUID(), UUID())
        let (identity, foreignIdentity, policy) = (UUID(), UUID(), UUID())
        server = UUID()
        otherServer = UUID()
        let foreignServer = UUID()
        let (grant, otherGrant, foreignGrant) = (UUID(), UUID(), UUID())
        var entities = SnapshotEntities()
        entities.accounts = [account, foreignAccount].map { SnapshotAccount(id: $0, slug: "a-\($0)", approvalWebhookURL: nil) }
        entities.identities = [
            SnapshotIdentity(id: identity, accountID: account, label: "claude", metadata: "{}"),
            SnapshotIdentity(id: foreignIdentity, accountID: foreignAccount, label: "other", metadata: "{}"),
        ]
        entities.servers = [(server, account), (otherServer, account), (foreignServer, foreignAccount)].map {
            SnapshotServer(id: $0.0, accountID: $0.1, name: "s-\($0.0)", url: "https://mcp.example.com/mcp", authType: "none",
                           sealedCredentials: nil, credentialsKeyVersion: nil, connectTimeoutMs: 5000, firstByteTimeoutMs: 60000, idleTimeoutMs: 300000)
        }
        entities.policies = [SnapshotPolicy(id: policy, accountID: account, version: 1, document: #"{"version": "1", "default": "allow"}"#)]
        entities.grants = [
            SnapshotGrant(id: grant, accountID: account, identityID: identity, serverID: server, policyID: policy,
                          tokenHash: SecretToken.hash(of: SecretToken.generate(.grant).text).lowercaseHex, expiresAt: nil, revoked: false),
            SnapshotGrant(id: otherGrant, accountID: account, identityID: identity, serverID: otherServer, policyID: policy,
                          tokenHash: SecretToken.hash(of: SecretToken.generate(.grant).text).lowercaseHex, expiresAt: nil, revoked: false),
            SnapshotGrant(id: foreignGrant, accountID: foreignAccount, identityID: foreignIdentity, serverID: foreignServer, policyID: nil,
                          tokenHash: SecretToken.hash(of: SecretToken.generate(.grant).text).lowercaseHex, expiresAt: nil, revoked: false),
        ]
        authorization = SnapshotOAuthAuthorization(id: UUID(), accountID: account, grantID: grant, clientID: "https://client.example/cimd.json", revoked: false)
        foreignAuthorization = SnapshotOAuthAuthorization(id: UUID(), accountID: foreignAccount, grantID: foreignGrant, clientID: "dcr-client", revoked: false)
        entities.oauthSigningKeys = [mint.signingKey, retiredMint.signingKey]
        entities.oauthAuthorizations = [authorization, foreignAuthorization]
        self.entities = entities
    }

    var snapshot: EnforcementSnapshot { EnforcementSnapshot(FullSnapshot(version: 1, entities: entities)) }

    var resource: String { Self.gateway.resource(server: server) }

    /// A valid token for the grant on `server`, as the control plane issues it.
    func token(scope: String = "mcp:read mcp:call", issuedAt: Date = Date(), lifetime: TimeInterval = 600) async throws -> String {
        try await mint.sign(mint.claims(authorization, resource: resource, scope: scope, issuedAt: issuedAt, lifetime: lifetime))
    }

    /// What authenticating `token` on `server` (by default the grant's) comes to.
    func authenticate(_ token: String, on server: UUID? = nil, in snapshot: EnforcementSnapshot? = nil, now: Date = Date()) -> CallerAuthentication {
        let server = server ?? self.server
        return CallerAuthenticator.authenticate(
            .bearer(serverID: server.uuidString), authorization: "Bearer \(token)", resource: Self.gateway, in: snapshot ?? self.snapshot,
            now: now)
    }
}

extension CallerAuthentication {
    var refusal: GrantRefusal? {
        if case .refused(let refusal, _) = self { return refusal }
        return nil
    }

    var caller: AuthenticatedGrant? {
        if case .authenticated(let caller) = self { return caller }
        return nil
    }

    /// The caller a refusal is recorded on, if any.
    var auditedOn: AuthenticatedGrant? {
        if case .refused(_, let caller) = self { return caller }
        return nil
    }
}
