import Foundation
@testable import Gateway
import Logging
import Shared
import Testing

/// Building the indexed snapshot, and refusing one that does not compile (SPEC 5.10).
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
        let built = try EnforcementSnapshot(Self.snapshot(version: 7, policyDocument: #"{"version": "1", "default": "deny"}"#))
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

    @Test func aPolicyThatDoesNotCompileRefusesTheSnapshot() {
        #expect(throws: EnforcementSnapshotError.self) {
            try EnforcementSnapshot(Self.snapshot(version: 8, policyDocument: #"{"version": "9", "default": "maybe"}"#))
        }
    }

    @Test func aRefusedSnapshotLeavesThePreviousOneInForce() {
        let store = SnapshotStore()
        let client = SnapshotClient(
            controlPlaneURL: "http://127.0.0.1:1", workerToken: nil,
            store: store, file: nil, workerID: "test-worker", logger: Logger(label: "snapshot-test")
        )
        #expect(client.accept(Self.snapshot(version: 7, policyDocument: #"{"version": "1", "default": "allow"}"#)))
        #expect(!client.accept(Self.snapshot(version: 8, policyDocument: "not json")))
        #expect(store.snapshot?.version == 7)
    }
}
