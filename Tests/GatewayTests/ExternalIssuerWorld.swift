import Foundation
import Shared
import TestSupport

@testable import Gateway
import JSON

/// A snapshot with two accounts that each trust their own identity provider (issue 14 item 4).
/// Account A: server `server`, identity `alice@example.com` with one grant under `grantPolicy`,
/// a second identity `bob@example.com` with no grant, and a group `admins` mapped to `adminPolicy`.
/// Account B: its own issuer and server, and an identity with the same label as A's.
struct ExternalIssuerWorld {
    static let issuer = "https://idp.acme.example"
    static let otherIssuer = "https://idp.globex.example"
    static let audience = "portcullis"
    /// Made once: generating an RSA key takes a noticeable moment on a busy machine.
    private static let rsaKey = try! TestIssuerKey.rsa()

    let entities: SnapshotEntities
    let snapshot: EnforcementSnapshot
    let keys: [TestIssuerKey]
    let otherKey: TestIssuerKey
    let server: UUID
    let otherServer: UUID
    let grant: UUID
    let grantPolicy: UUID
    let adminPolicy: UUID

    /// `configure` changes account A's issuer (allowed algorithms, claims) before the snapshot is built.
    static func make(configure: (inout SnapshotTrustedIssuer) -> Void = { _ in }) throws -> ExternalIssuerWorld {
        let keys = [TestIssuerKey.ed25519(), TestIssuerKey.p256(), rsaKey]
        let otherKey = TestIssuerKey.ed25519()
        let account = UUID(), otherAccount = UUID(), server = UUID(), otherServer = UUID()
        let alice = UUID(), bob = UUID(), otherAlice = UUID(), grant = UUID(), grantPolicy = UUID(), adminPolicy = UUID()
        var entities = SnapshotEntities()
        entities.accounts = [SnapshotAccount(id: account, slug: "acme", approvalWebhookURL: nil),
                             SnapshotAccount(id: otherAccount, slug: "globex", approvalWebhookURL: nil)]
        entities.servers = [(server, account), (otherServer, otherAccount)].map {
            SnapshotServer(id: $0.0, accountID: $0.1, name: "s", url: "https://mcp.example.com/mcp", authType: "none", sealedCredentials: nil,
                           credentialsKeyVersion: nil, connectTimeoutMs: 5000, firstByteTimeoutMs: 60000, idleTimeoutMs: 300000)
        }
        entities.identities = [
            SnapshotIdentity(id: alice, accountID: account, label: "alice@example.com", metadata: "{}"),
            SnapshotIdentity(id: bob, accountID: account, label: "bob@example.com", metadata: "{}"),
            SnapshotIdentity(id: otherAlice, accountID: otherAccount, label: "alice@example.com", metadata: "{}"),
        ]
        entities.policies = [grantPolicy, adminPolicy].map {
            SnapshotPolicy(id: $0, accountID: account, version: 1, document: #"{"version": "1", "default": "allow"}"#)
        }
        entities.grants = [
            SnapshotGrant(id: grant, accountID: account, identityID: alice, serverID: server, policyID: grantPolicy,
                          tokenHash: SecretToken.hash(of: SecretToken.generate(.grant).text).lowercaseHex, expiresAt: nil, revoked: false),
            SnapshotGrant(id: UUID(), accountID: otherAccount, identityID: otherAlice, serverID: otherServer, policyID: nil,
                          tokenHash: SecretToken.hash(of: SecretToken.generate(.grant).text).lowercaseHex, expiresAt: nil, revoked: false),
        ]
        var trusted = SnapshotTrustedIssuer(
            id: UUID(), accountID: account, issuer: issuer, audience: audience, algorithms: IssuerSigningAlgorithm.allCases,
            identityClaim: "email", groupClaim: "groups", groupPolicies: [.init(group: "admins", policyID: adminPolicy)],
            keys: keys.map(\.published))
        configure(&trusted)
        entities.trustedIssuers = [
            trusted,
            SnapshotTrustedIssuer(
                id: UUID(), accountID: otherAccount, issuer: otherIssuer, audience: audience, algorithms: IssuerSigningAlgorithm.allCases,
                identityClaim: "email", groupClaim: nil, groupPolicies: [], keys: [otherKey.published]),
        ]
        return ExternalIssuerWorld(
            entities: entities, snapshot: EnforcementSnapshot(FullSnapshot(version: 1, entities: entities)), keys: keys, otherKey: otherKey,
            server: server, otherServer: otherServer, grant: grant, grantPolicy: grantPolicy, adminPolicy: adminPolicy)
    }

    /// A valid token of account A's issuer for alice, signed with `key` (the first key by default).
    func token(key: TestIssuerKey? = nil, issuer: String = Self.issuer, claims extra: [String: JSONValue] = [:], now: Date = Date()) throws -> String {
        var claims: [String: JSONValue] = ["email": "alice@example.com", "email_verified": true, "azp": "agent-app"]
        for (name, value) in extra { claims[name] = value }
        return try (key ?? keys[0]).token(testIssuerClaims(issuer: issuer, audience: Self.audience, subject: "u-1", now: now, extra: claims))
    }

    /// Through the gateway's dispatch (`CallerAuthenticator`), as a request to `/mcp/{server}` is.
    func authenticate(_ token: String, on server: UUID? = nil, now: Date = Date()) -> Result<AuthenticatedGrant, GrantRefusal> {
        let path = (server ?? self.server).uuidString.lowercased()
        switch CallerAuthenticator.authenticate(
            .bearer(serverID: path), authorization: "Bearer \(token)",
            resource: ProtectedResource(publicGatewayURL: "http://127.0.0.1:8081"), in: snapshot, now: now)
        {
        case .authenticated(let caller): return .success(caller)
        case .refused(let refusal, _): return .failure(refusal)
        case .awaitingSnapshot: return .failure(.invalidAccessToken)
        }
    }

    func refusal(_ token: String, on server: UUID? = nil, now: Date = Date()) -> GrantRefusal? {
        if case .failure(let refusal) = authenticate(token, on: server, now: now) { return refusal }
        return nil
    }
}
