import Foundation
@testable import Gateway
import Shared
import Testing

/// Building the indexed snapshot (a policy that does not compile: Adversarial/AdversarialSnapshotTests).
@Suite(.timeLimit(.minutes(1)))
struct EnforcementSnapshotTests {
    static let account = UUID()
    static let server = UUID()
    static let identity = UUID()

    static func snapshot(version: Int64, policyDocument: String) -> FullSnapshot {
        let policy = UUID()
        var entities = SnapshotEntities()
        entities.accounts = [SnapshotAccount(id: account, slug: "acme", approvalWebhookURL: nil)]
        entities.servers = [SnapshotServer(
            id: server, accountID: account, name: "runpod", url: "https://mcp.example/mcp", authType: "none", sealedCredentials: nil,
            credentialsKeyVersion: nil, connectTimeoutMs: 5000, firstByteTimeoutMs: 30000, idleTimeoutMs: 300_000
        )]
        entities.identities = [SnapshotIdentity(id: identity, accountID: account, label: "alice", metadata: "{}")]
        entities.policies = [SnapshotPolicy(id: policy, accountID: account, version: 3, document: policyDocument)]
        entities.grants = [SnapshotGrant(
            id: UUID(), accountID: account, identityID: identity, serverID: server, policyID: policy,
            tokenHash: String(repeating: "ab", count: 32), expiresAt: nil, revoked: false
        )]
        entities.tools = [SnapshotTool(
            id: UUID(), accountID: account, serverID: server, name: "list-pods", definitionHash: "d1", approvedHash: "d1",
            riskClass: "read", riskSeverity: "low"
        )]
        return FullSnapshot(version: version, entities: entities)
    }

    @Test func indexesEveryEntityAndCompilesPolicies() throws {
        let built = EnforcementSnapshot(Self.snapshot(version: 7, policyDocument: #"{"version": "1", "default": "deny"}"#))
        #expect(built.version == 7)
        let grant = try #require(built.grantsByTokenHash[String(repeating: "ab", count: 32)])
        #expect(grant.identityID == Self.identity)
        #expect(built.serversByID[Self.server]?.name == "runpod")
        #expect(built.identitiesByID[Self.identity]?.label == "alice")
        let policy = try #require(grant.policyID.flatMap { built.policiesByID[$0] })
        #expect(policy.version == 3)
        #expect(policy.compiled.defaultDecision == .deny)
        #expect(built.toolsByKey[.init(serverID: Self.server, name: "list-pods")]?.approvedHash == "d1")
    }
}
