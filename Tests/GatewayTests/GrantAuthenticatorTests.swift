import Foundation
import Shared
import Testing

@testable import Gateway

/// design.md §5.1 and 5.3: who is calling, from the snapshot alone.
struct GrantAuthenticatorTests {
    struct World {
        let snapshot: EnforcementSnapshot
        let token: String
        let revokedToken: String
        let expiredToken: String
        let server: UUID
        let otherServer: UUID
    }

    static func world(now: Date) throws -> World {
        let account = UUID(), identity = UUID(), server = UUID(), otherServer = UUID(), policy = UUID()
        let tokens = (0..<3).map { _ in SecretToken.generate(.grant).text }
        var entities = SnapshotEntities()
        entities.accounts = [SnapshotAccount(id: account, slug: "acme", approvalWebhookURL: nil)]
        entities.identities = [SnapshotIdentity(id: identity, accountID: account, label: "ci-runner", metadata: "{}")]
        entities.servers = [server, otherServer].map {
            SnapshotServer(id: $0, accountID: account, name: "s-\($0)", url: "https://mcp.example.com/mcp", authType: "none",
                           sealedCredentials: nil, credentialsKeyVersion: nil, connectTimeoutMs: 5000, firstByteTimeoutMs: 60000, idleTimeoutMs: 300000)
        }
        entities.policies = [SnapshotPolicy(id: policy, accountID: account, version: 3, document: #"{"version": "1", "default": "deny"}"#)]
        func grant(_ token: String, revoked: Bool = false, expiresAt: Date? = nil) -> SnapshotGrant {
            SnapshotGrant(id: UUID(), accountID: account, identityID: identity, serverID: server, policyID: policy,
                          tokenHash: SecretToken.hash(of: token).lowercaseHex, expiresAt: expiresAt, revoked: revoked)
        }
        entities.grants = [grant(tokens[0], expiresAt: now.addingTimeInterval(60)), grant(tokens[1], revoked: true),
                           grant(tokens[2], expiresAt: now.addingTimeInterval(-1))]
        return World(snapshot: EnforcementSnapshot(FullSnapshot(version: 1, entities: entities)),
                     token: tokens[0], revokedToken: tokens[1], expiredToken: tokens[2], server: server, otherServer: otherServer)
    }

    /// As `MCPEndpoint` asks: a `/mcp/{server}` URL with the token in the `Authorization` header, or
    /// (no server) the secret URL `/g/{token}/mcp`.
    static func authenticate(_ token: String?, on server: UUID?, in world: World, now: Date) -> CallerAuthentication {
        let credential: GrantCredential = server.map { .bearer(serverID: $0.uuidString) } ?? .secretURL(token: token ?? "")
        return CallerAuthenticator.authenticate(
            credential, authorization: token.map { "Bearer \($0)" }, resource: ProtectedResource(publicGatewayURL: "https://gw.example.com"),
            in: world.snapshot, now: now)
    }

    @Test func aValidTokenResolvesItsGrantIdentityServerAndPolicy() throws {
        let now = Date()
        let world = try Self.world(now: now)
        guard case .authenticated(let resolved) = Self.authenticate(world.token, on: world.server, in: world, now: now) else {
            Issue.record("a valid grant token is refused")
            return
        }
        #expect(resolved.identity.label == "ci-runner")
        #expect(resolved.server.id == world.server)
        #expect(resolved.policy?.version == 3)
        // The secret URL names no server: the grant's own is used.
        guard case .authenticated(let bySecretURL) = Self.authenticate(world.token, on: nil, in: world, now: now) else {
            Issue.record("a valid grant token is refused on its secret URL")
            return
        }
        #expect(bySecretURL.server.id == world.server)
    }

    @Test func refusalsAre401ExceptAGrantOnAnotherServersURLWhichIs403() throws {
        let now = Date()
        let world = try Self.world(now: now)
        func refusal(_ token: String?, _ server: UUID?) -> GrantRefusal? {
            if case .refused(let refusal, _) = Self.authenticate(token, on: server, in: world, now: now) { return refusal }
            return nil
        }
        #expect(refusal(nil, world.server) == .missingToken)
        #expect(refusal("pcs_gt_garbage", world.server) == .unknownToken)
        #expect(refusal("pcs_gt_garbage", nil) == .unknownToken)
        #expect(refusal(SecretToken.generate(.grant).text, world.server) == .unknownToken)
        #expect(refusal(SecretToken.generate(.apiKey).text, world.server) == .unknownToken)
        #expect(refusal(world.revokedToken, world.server) == .revoked)
        #expect(refusal(world.revokedToken, nil) == .revoked)
        #expect(refusal(world.expiredToken, world.server) == .expired)
        #expect(refusal(world.token, world.otherServer) == .wrongServer)
        #expect(GrantRefusal.wrongServer.httpStatus == 403)
        #expect([GrantRefusal.missingToken, .unknownToken, .revoked, .expired].allSatisfy { $0.httpStatus == 401 })
        #expect(!GrantRefusal.unknownToken.message.contains("pcs_gt_"))
    }

    /// A refusal of a token that names a grant is recorded on the grant's account; an unknown
    /// token names no account (issue 10 item 4).
    @Test func aRefusedKnownGrantIsAuditedOnItsAccountAndAnUnknownTokenOnNone() throws {
        let now = Date()
        let world = try Self.world(now: now)
        guard case .refused(.revoked, let audited) = Self.authenticate(world.revokedToken, on: world.server, in: world, now: now) else {
            Issue.record("a revoked grant token is not refused as revoked")
            return
        }
        #expect(audited?.grant.tokenHash == SecretToken.hash(of: world.revokedToken).lowercaseHex)
        guard case .refused(.unknownToken, let none) = Self.authenticate(SecretToken.generate(.grant).text, on: world.server, in: world, now: now)
        else {
            Issue.record("an unknown grant token is not refused as unknown")
            return
        }
        #expect(none == nil)
    }

    @Test(arguments: [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", nil), ("Bearer ", nil), ("", nil)] as [(String, String?)])
    func bearerTokensAreReadFromTheAuthorizationHeader(header: String, token: String?) {
        #expect(GrantAuthenticator.bearerToken(header) == token)
    }
}
