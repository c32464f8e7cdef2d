import Foundation
import HTTPTypes
import Logging
import Shared
import Synchronization
import Testing

@testable import Gateway
import JSON
import PolicyEngine

/// Everything `ToolCallJudge` reads, in-process: a snapshot with one grant on one server (its
/// policy `ToolCallJudgeTests.policy`, a catalog whose tools are all approved), memory counters,
/// the in-memory approval ledger, and a real spool in a temporary folder to read the audit back.
struct JudgeWorld {
    let judge: ToolCallJudge
    let hold: ApprovalHold
    let ledger: MemoryApprovalLedger
    let liveDefinitions: LiveToolDefinitions
    let exchange: MCPExchange
    let notices: NoticeLog
    private let spool: AuditSpool

    static let catalog = ["list-pods", "create-pod", "restart-pod", "stop-pod", "purge-pod", "drop-cluster", "update-pod"]

    /// `approvals: false` is a worker without a database; `spoolLimit` bounds the spool's bytes;
    /// `approvalRequestsPerMinute` is the ledger's per-grant rate of new requests.
    static func with(
        approvals: Bool = true, spoolLimit: Int = 1 << 20, approvalRequestsPerMinute: Int = 10, _ body: (JudgeWorld) async throws -> Void
    ) async throws {
        try await withSpoolFolder { folder in
            let spool = try await AuditSpool.open(path: folder, sizeLimit: spoolLimit)
            let world = try JudgeWorld(spool: spool, approvals: approvals, approvalRequestsPerMinute: approvalRequestsPerMinute)
            do {
                try await body(world)
            } catch {
                await spool.close()
                throw error
            }
            await spool.close()
        }
    }

    private init(spool: AuditSpool, approvals: Bool, approvalRequestsPerMinute: Int) throws {
        let account = UUID(), server = UUID(), identity = UUID(), policy = UUID()
        let token = SecretToken.generate(.grant)
        var entities = SnapshotEntities()
        entities.accounts = [SnapshotAccount(id: account, slug: "acme", approvalWebhookURL: nil)]
        entities.servers = [SnapshotServer(
            id: server, accountID: account, name: "runpod", url: "https://mcp.example/mcp", authType: "none", sealedCredentials: nil,
            credentialsKeyVersion: nil, connectTimeoutMs: 5000, firstByteTimeoutMs: 30000, idleTimeoutMs: 300_000)]
        entities.identities = [SnapshotIdentity(id: identity, accountID: account, label: "alice", metadata: "{}")]
        entities.policies = [SnapshotPolicy(id: policy, accountID: account, version: 1, document: ToolCallJudgeTests.policy)]
        entities.grants = [SnapshotGrant(
            id: UUID(), accountID: account, identityID: identity, serverID: server, policyID: policy,
            tokenHash: token.hash.lowercaseHex, expiresAt: nil, revoked: false)]
        entities.tools = Self.catalog.map {
            SnapshotTool(
                id: UUID(), accountID: account, serverID: server, name: $0, definitionHash: "def-\($0)", approvedHash: "def-\($0)",
                riskClass: "write", riskSeverity: "medium")
        }
        let snapshot = EnforcementSnapshot(FullSnapshot(version: 1, entities: entities))
        let caller = try #require(GrantAuthenticator.grant(of: token.text, in: snapshot))
        exchange = MCPExchange(snapshot: snapshot, caller: caller, headers: [:], session: nil, sealedSessionID: nil, started: .now)

        let logger = Logger(label: "judge-test")
        let metrics = GatewayMetrics()
        ledger = MemoryApprovalLedger(watcher: ApprovalDecisionWatcher(database: nil), requestsPerGrantPerMinute: approvalRequestsPerMinute)
        hold = ApprovalHold(ledger: ledger, watcher: ledger.watcher, keepAliveInterval: .milliseconds(20), admission: AccountAdmission(), logger: logger)
        liveDefinitions = LiveToolDefinitions()
        let notices = NoticeLog()
        self.notices = notices
        self.spool = spool
        judge = ToolCallJudge(
            counters: MemoryCounterStore(),
            approvals: approvals ? hold : nil,
            approvalRequested: { notices.append($0) },
            auditor: RequestAuditor(spool: spool, workerID: "judge-test", metrics: metrics, logger: logger),
            argumentsFingerprint: ApprovalFingerprint(keyRing: ApprovalStoreTests.keyRing),
            liveDefinitions: liveDefinitions,
            metrics: metrics)
    }

    static func request(_ id: Int, _ tool: String, _ arguments: JSONValue = [:]) -> JSONRPCRequest {
        JSONRPCRequest(id: .number(JSONNumber(id)), method: "tools/call", params: ["name": .string(tool), "arguments": arguments])
    }

    /// The judge's verdict on `tools/call` of `tool` with `arguments`.
    func verdict(_ id: Int, _ tool: String, _ arguments: JSONValue = [:], mayHold: Bool = true) async -> ToolCallVerdict {
        let request = Self.request(id, tool, arguments)
        return await judge.judge(request, bytesIn: request.jsonValue.serializedBytes().count, exchange, mayHold: mayHold)
    }

    /// The counters the policy gives a call of `tool`, as the engine plans them.
    func counters(of tool: String) throws -> [CounterReservation] {
        let call = try #require(ToolCall(
            Self.request(0, tool), bytesIn: 0, exchange: exchange, liveDefinitions: liveDefinitions, fingerprint: judge.argumentsFingerprint))
        guard case .allow(let counters) = CompiledPolicy.decide(policy: exchange.caller.policy?.compiled, call: call.policyCall, now: .now) else {
            return []
        }
        return counters
    }

    /// Every audit event the judge has recorded so far, in order. An appended marker event waits
    /// for the writer, so the `response` rows handed over without waiting are written too.
    func events() async throws -> [AuditEvent] {
        let marker = AuditEvent(id: UUID(), timeMicroseconds: 0, accountID: UUID(), decision: "marker", seq: 0)
        // A full spool refuses the marker too; nothing is then waiting to be written.
        _ = try? await spool.append([marker])
        var events: [AuditEvent] = []
        var position = await spool.shippedPosition
        while true {
            let batch = try await spool.readSynced(from: position, maxEvents: 100)
            if batch.events.isEmpty { break }
            events += batch.events
            position = batch.end
        }
        return events.filter { $0.decision != "marker" }
    }
}

/// The notices the judge gave the approval webhook.
final class NoticeLog: Sendable {
    private let notices = Mutex<[ApprovalRequestNotice]>([])

    func append(_ notice: ApprovalRequestNotice) { notices.withLock { $0.append(notice) } }

    var all: [ApprovalRequestNotice] { notices.withLock { $0 } }
}

extension ToolCallVerdict {
    /// The answer of an `.answer` verdict.
    var answer: JSONRPCResponse? {
        if case .answer(let response) = self { return response }
        return nil
    }
}

extension JSONRPCResponse {
    var result: JSONValue? {
        if case .result(let result) = outcome { return result }
        return nil
    }

    var error: JSONRPCErrorObject? {
        if case .error(let error) = outcome { return error }
        return nil
    }
}

extension Array {
    /// The one element, if there is exactly one.
    var only: Element? { count == 1 ? first : nil }
}
