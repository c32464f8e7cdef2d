import Foundation
@testable import Gateway
import Logging
import Shared
import Testing
import PolicyEngine

/// Issue 10 items 11, 14 and 23 on the worker's snapshot: a policy that does not compile costs only
/// its own grants, deltas recompile only what changed, the catalog's inputSchema reaches the
/// decision, and catalog names compare by code points.
@Suite(.timeLimit(.minutes(1)))
struct AdversarialSnapshotTests {
    static let account = UUID(), otherAccount = UUID()
    static let server = UUID(), otherServer = UUID()
    static let identity = UUID(), otherIdentity = UUID()
    static let goodPolicy = UUID(), badPolicy = UUID()
    static let goodGrant = UUID(), badGrant = UUID()
    static let allowList = #"{"version": "1", "default": "allow", "pin": "off"}"#
    /// Valid JSON the engine refuses (an unknown operator): what a control plane that skipped
    /// validation, or an older one, could publish.
    static let uncompilable = #"{"version": "1", "default": "allow", "tools": {"x": {"require": [{"conditions": [{"path": "args.a", "op": "like", "value": 1}]}]}}}"#

    static func grant(_ id: UUID, account: UUID, identity: UUID, server: UUID, policy: UUID, revoked: Bool = false) -> SnapshotGrant {
        SnapshotGrant(id: id, accountID: account, identityID: identity, serverID: server, policyID: policy,
                      tokenHash: id.uuidString.lowercased(), expiresAt: nil, revoked: revoked)
    }

    static func server(_ id: UUID, account: UUID) -> SnapshotServer {
        SnapshotServer(id: id, accountID: account, name: "s", url: "https://mcp.example/mcp", authType: "none", sealedCredentials: nil,
                       credentialsKeyVersion: nil, connectTimeoutMs: 5000, firstByteTimeoutMs: 30000, idleTimeoutMs: 300_000)
    }

    /// Two tenants, each with a grant under its own policy.
    static func twoTenants(version: Int64 = 7, otherDocument: String = allowList) -> FullSnapshot {
        var entities = SnapshotEntities()
        entities.accounts = [SnapshotAccount(id: account, slug: "acme", approvalWebhookURL: nil),
                             SnapshotAccount(id: otherAccount, slug: "other", approvalWebhookURL: nil)]
        entities.servers = [server(server, account: account), server(otherServer, account: otherAccount)]
        entities.identities = [SnapshotIdentity(id: identity, accountID: account, label: "alice", metadata: "{}"),
                               SnapshotIdentity(id: otherIdentity, accountID: otherAccount, label: "bob", metadata: "{}")]
        entities.policies = [SnapshotPolicy(id: goodPolicy, accountID: account, version: 1, document: allowList),
                             SnapshotPolicy(id: badPolicy, accountID: otherAccount, version: 1, document: otherDocument)]
        entities.grants = [grant(goodGrant, account: account, identity: identity, server: server, policy: goodPolicy),
                           grant(badGrant, account: otherAccount, identity: otherIdentity, server: otherServer, policy: badPolicy)]
        return FullSnapshot(version: version, entities: entities)
    }

    static func decide(_ snapshot: EnforcementSnapshot, policy: UUID) -> PolicyDecision {
        let owner = CounterOwner(accountID: "a", grantID: "g", identityID: "i", serverID: "s")
        return CompiledPolicy.decide(policy: snapshot.policiesByID[policy]?.compiled, call: PolicyCall(tool: "list-pods", owner: owner),
                                   now: PolicyTime(secondsSince1970: 1_773_483_343))
    }

    static func isAllowed(_ decision: PolicyDecision) -> Bool {
        if case .allow = decision { return true }
        return false
    }

    static func denial(_ decision: PolicyDecision) -> PolicyDenial? {
        if case .deny(let denial) = decision { return denial }
        return nil
    }

    static func client(_ store: SnapshotStore) -> SnapshotClient {
        SnapshotClient(controlPlaneURL: "http://127.0.0.1:1", workerToken: nil, store: store, file: nil, workerID: "adversarial",
                       logger: Logger(label: "adversarial-snapshot"))
    }

    // MARK: item 11

    @Test func uncompilablePolicyDeniesOnlyItsOwnGrants() {
        let built = EnforcementSnapshot(Self.twoTenants(otherDocument: Self.uncompilable))
        #expect(built.version == 7)
        #expect(Self.isAllowed(Self.decide(built, policy: Self.goodPolicy)))
        #expect(Self.decide(built, policy: Self.badPolicy) == .deny(PolicyDenial(
            code: .defaultDeny, rule: PolicyDenial.Marker.defaultDeny, message: PolicyMessages.defaultDeny(tool: "list-pods"))))
        #expect(built.policiesByID[Self.badPolicy]?.compileFailure?.policyID == Self.badPolicy)
        #expect(built.policyCompilation.failures.map(\.policyID) == [Self.badPolicy])
    }

    /// The change that brings the bad policy also revokes a grant of the other tenant: the
    /// revocation must take effect (a refused snapshot used to freeze every tenant's updates).
    @Test func deltaWithAnUncompilablePolicyStillAppliesTheOtherChanges() throws {
        let store = SnapshotStore()
        let client = Self.client(store)
        let first = Self.twoTenants()
        client.accept(first)
        var upserts = SnapshotEntities()
        upserts.policies = [SnapshotPolicy(id: Self.badPolicy, accountID: Self.otherAccount, version: 2, document: Self.uncompilable)]
        upserts.grants = [Self.grant(Self.goodGrant, account: Self.account, identity: Self.identity, server: Self.server,
                                     policy: Self.goodPolicy, revoked: true)]
        client.accept(try first.applying(SnapshotDelta(since: 7, version: 8, upserts: upserts, deletes: [])))
        let current = try #require(store.snapshot)
        #expect(current.version == 8)
        #expect(current.grantsByTokenHash[Self.goodGrant.uuidString.lowercased()]?.revoked == true)
        #expect(Self.denial(Self.decide(current, policy: Self.badPolicy))?.code == .defaultDeny)
    }

    @Test func deltasRecompileOnlyChangedPolicies() throws {
        let first = Self.twoTenants(otherDocument: Self.uncompilable)
        let built = EnforcementSnapshot(first)
        #expect(built.policyCompilation.compilations == 2)

        var grantOnly = SnapshotEntities()
        grantOnly.grants = [Self.grant(Self.badGrant, account: Self.otherAccount, identity: Self.otherIdentity, server: Self.otherServer,
                                       policy: Self.badPolicy, revoked: true)]
        let second = try first.applying(SnapshotDelta(since: 7, version: 8, upserts: grantOnly, deletes: []))
        let rebuilt = EnforcementSnapshot(second, previous: built)
        #expect(rebuilt.policyCompilation.compilations == 0)
        // The failure is known already: not logged or counted again.
        #expect(rebuilt.policyCompilation.failures.isEmpty)
        #expect(Self.denial(Self.decide(rebuilt, policy: Self.badPolicy))?.code == .defaultDeny)

        var fixed = SnapshotEntities()
        fixed.policies = [SnapshotPolicy(id: Self.badPolicy, accountID: Self.otherAccount, version: 2, document: Self.allowList)]
        let third = try second.applying(SnapshotDelta(since: 8, version: 9, upserts: fixed, deletes: []))
        let repaired = EnforcementSnapshot(third, previous: rebuilt)
        #expect(repaired.policyCompilation.compilations == 1)
        #expect(Self.isAllowed(Self.decide(repaired, policy: Self.badPolicy)))
        #expect(repaired.policiesByID[Self.badPolicy]?.compileFailure == nil)
    }

    // MARK: item 14, the catalog's inputSchema reaches the decision

    static func tool(_ name: String, hash: String, inputSchema: String?) -> SnapshotTool {
        SnapshotTool(id: UUID(), accountID: account, serverID: server, name: name, definitionHash: hash, approvedHash: hash,
                     riskClass: "write", riskSeverity: "medium", inputSchema: inputSchema)
    }

    @Test func catalogInputSchemaIsIndexedOnceAndBounded() throws {
        var snapshot = Self.twoTenants()
        let oversized = #"{"type": "object", "description": ""# + String(repeating: "x", count: SnapshotTool.maximumInputSchemaBytes) + #""}"#
        snapshot.entities.tools = [Self.tool("create-pod", hash: "h1", inputSchema: #"{"type": "object", "properties": {"gpuCount": {"type": "integer"}}}"#),
                                   Self.tool("huge", hash: "h2", inputSchema: oversized),
                                   Self.tool("broken", hash: "h3", inputSchema: "{not json")]
        let built = EnforcementSnapshot(snapshot)
        let schema = try #require(built.argumentSchemas[.init(serverID: Self.server, name: "create-pod")])
        #expect(schema.violation(of: ["gpuCount": "4"], at: "args") == "args.gpuCount must be integer (is a string)")
        #expect(built.argumentSchemas[.init(serverID: Self.server, name: "huge")] == nil)
        #expect(built.argumentSchemas[.init(serverID: Self.server, name: "broken")] == nil)
        // Unchanged definitions keep the schema already read.
        let rebuilt = EnforcementSnapshot(snapshot, previous: built)
        #expect(rebuilt.argumentSchemas[.init(serverID: Self.server, name: "create-pod")] === schema)
    }

    // MARK: item 23

    @Test func catalogToolNamesCompareByCodePoints() {
        var snapshot = Self.twoTenants()
        snapshot.entities.tools = [Self.tool("caf\u{E9}", hash: "h1", inputSchema: nil)]
        let built = EnforcementSnapshot(snapshot)
        #expect(built.toolsByKey[.init(serverID: Self.server, name: "caf\u{E9}")] != nil)
        #expect(built.toolsByKey[.init(serverID: Self.server, name: "cafe\u{301}")] == nil)
    }
}
