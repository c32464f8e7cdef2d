import Foundation
import Shared
import Testing

@testable import ControlPlane
import JSON

/// Rows the API under test cannot make itself (servers and the catalog belong to discovery;
/// approvals, audit events and counters to gateway workers), inserted as the table owner.
struct Fixtures {
    let database: Database

    func server(of caller: Caller, name: String = "runpod") async throws -> String {
        try await database.query("""
            INSERT INTO servers (account_id, name, url) VALUES (\(UUID(uuidString: caller.accountID)!), \(name), 'https://mcp.example.com/mcp')
            RETURNING id
            """)[0].decode("id", as: UUID.self).uuidString.lowercased()
    }

    /// A catalog entry; `approved: false` means its live definition differs from the approved one.
    func tool(_ name: String, server: String, of caller: Caller, risk: String, approved: Bool = true) async throws {
        try await database.execute("""
            INSERT INTO tools (account_id, server_id, name, definition, definition_hash, approved_hash,
                               risk_class, risk_severity, risk_rationale, risk_source)
            VALUES (\(UUID(uuidString: caller.accountID)!), \(UUID(uuidString: server)!), \(name), '{}', 'hash-now',
                    \(approved ? "hash-now" : "hash-before"), \(risk), 'high', 'test', 'classifier')
            """)
    }

    func approval(grant: String, of caller: Caller, tool: String = "create-pod", expiresIn seconds: Int = 900) async throws -> String {
        try await database.query("""
            INSERT INTO approvals (account_id, grant_id, tool, arguments_hash, arguments, rule, expires_at)
            VALUES (\(UUID(uuidString: caller.accountID)!), \(UUID(uuidString: grant)!), \(tool), \(Array("hash-\(UUID())".utf8)),
                    '{"gpuCount": 2}', '/tools/create-pod/approval', now() + make_interval(secs => \(seconds)))
            RETURNING id
            """)[0].decode("id", as: UUID.self).uuidString.lowercased()
    }

    /// An approval requested in the past that has already expired.
    func expiredApproval(grant: String, of caller: Caller) async throws -> String {
        try await database.query("""
            INSERT INTO approvals (account_id, grant_id, tool, arguments_hash, requested_at, expires_at)
            VALUES (\(UUID(uuidString: caller.accountID)!), \(UUID(uuidString: grant)!), 'create-pod', \(Array("old".utf8)),
                    now() - interval '1 hour', now() - interval '1 minute')
            RETURNING id
            """)[0].decode("id", as: UUID.self).uuidString.lowercased()
    }

    func counter(_ name: String, grant: String, of caller: Caller, count: Int, window: String = "minute") async throws {
        try await database.execute("""
            INSERT INTO counters (account_id, scope_kind, scope_id, counter, window_kind, window_start, window_end, count)
            VALUES (\(UUID(uuidString: caller.accountID)!), 'grant', \(grant), \(name), \(window),
                    date_trunc(\(window), now()), date_trunc(\(window), now()) + ('1 ' || \(window))::interval, \(count))
            """)
    }

    /// Chains `events` after the account's head exactly as the shipper does (under `withAPI`'s
    /// chain keys), and inserts them. `tamper` changes an event after its hash was computed, as
    /// someone editing the table would; `link` replaces how a hash is computed, as a database writer
    /// recomputing the chain without the key would.
    func ship(
        _ events: [AuditEvent], tamper: (inout AuditEvent) -> Void = { _ in }, tamperSeq: Int64? = nil,
        link: (_ previous: [UInt8], _ event: AuditEvent) -> [UInt8] = { AuditChain.link(previous: $0, event: $1, keys: .forTests).hash }
    ) async throws {
        var previous = AuditChain.genesisHash
        var seq: Int64 = 0
        if let head = try await database.query("SELECT last_seq, last_hash FROM audit_chain_heads WHERE account_id = \(events[0].accountID)").first {
            seq = try head.decode("last_seq")
            previous = try head.decode("last_hash")
        }
        for var event in events {
            seq += 1
            event.seq = seq
            let hash = link(previous, event)
            if event.seq == tamperSeq { tamper(&event) }
            try await insert(event, prevHash: previous, hash: hash)
            previous = hash
        }
        try await database.execute("""
            INSERT INTO audit_chain_heads (account_id, last_seq, last_hash) VALUES (\(events[0].accountID), \(seq), \(previous))
            ON CONFLICT (account_id) DO UPDATE SET last_seq = excluded.last_seq, last_hash = excluded.last_hash
            """)
    }

    /// Text columns escaped and JSON columns as exact text, as the shipper stores them (`AuditStoredText`).
    private func insert(_ event: AuditEvent, prevHash: [UInt8], hash: [UInt8]) async throws {
        func text(_ value: String?) -> String? { value.map(AuditStoredText.stored) }
        try await database.execute("""
            INSERT INTO audit_events (id, time, account_id, kind, identity_id, identity_label, grant_id, server_id, method,
                                      jsonrpc_id, tool, decision, code, rule, message, policy_id, policy_version,
                                      snapshot_version, argument_keys, arguments, upstream_status, gateway_latency_ms,
                                      worker_id, seq, prev_hash, hash, chain_key_version)
            VALUES (\(event.id), 'epoch'::timestamptz + \(event.timeMicroseconds) * interval '1 microsecond', \(event.accountID),
                    \(text(event.kind)), \(event.identityID), \(text(event.identityLabel)), \(event.grantID), \(event.serverID),
                    \(text(event.method)), \(event.jsonrpcID?.serialized()), \(text(event.tool)), \(text(event.decision)),
                    \(text(event.code)), \(text(event.rule)), \(text(event.message)), \(event.policyID), \(event.policyVersion), \(event.snapshotVersion),
                    \(event.argumentKeys.map { TextArray($0.map(AuditStoredText.stored)) })::text[], \(event.arguments?.serialized()),
                    \(event.upstreamStatus), \(event.gatewayLatencyMs), \(text(event.workerID)), \(event.seq), \(prevHash), \(hash),
                    \(AuditChainKeys.forTests.activeVersion))
            """)
    }
}

extension AuditEvent {
    /// A typical `tools/call` event of `caller`'s account, `secondsAgo` in the past.
    static func call(
        _ tool: String, decision: String, of caller: Caller, grant: String? = nil, identity: String? = nil,
        server: String? = nil, secondsAgo: Int64 = 60
    ) -> AuditEvent {
        var event = AuditEvent(
            id: UUID(), timeMicroseconds: AuditEvent.microseconds(of: Date()) - secondsAgo * 1_000_000,
            accountID: UUID(uuidString: caller.accountID)!, decision: decision, seq: 0)
        event.tool = tool
        event.method = "tools/call"
        event.jsonrpcID = .number(JSONNumber(7))
        event.grantID = grant.flatMap(UUID.init(uuidString:))
        event.identityID = identity.flatMap(UUID.init(uuidString:))
        event.identityLabel = "alice-laptop"
        event.serverID = server.flatMap(UUID.init(uuidString:))
        event.code = decision == "deny" ? "default_deny" : nil
        event.rule = decision == "deny" ? "(default deny)" : nil
        event.argumentKeys = ["gpuCount", "name"]
        // Spelled as jsonb will not return it: the chain must still hold.
        event.arguments = ["gpuCount": .number(try! JSONValue.parse(Array("1E+0".utf8)).numberValue!)]
        event.upstreamStatus = decision == "allow" ? 200 : nil
        event.gatewayLatencyMs = 3.141
        event.workerID = "worker-1"
        return event
    }
}

extension APIClient {
    func createIdentity(_ label: String = "alice-laptop", by caller: Caller) async throws -> String {
        let response = try await send(.post, "/v1/identities", key: caller.key, json: ["label": .string(label)])
        guard let id = response["id"]?.stringValue else { throw TestFailure("identity: \(response.status) \(String(describing: response.json))") }
        return id
    }

    func createPolicy(_ document: JSONValue, name: String = "default", by caller: Caller) async throws -> String {
        let response = try await send(.post, "/v1/policies", key: caller.key, json: ["name": .string(name), "document": document])
        guard let id = response["id"]?.stringValue else { throw TestFailure("policy: \(response.status) \(String(describing: response.json))") }
        return id
    }

    /// A grant of a new identity on `server`; returns the create answer.
    func createGrant(server: String, policy: String? = nil, by caller: Caller, label: String = "alice-laptop") async throws -> APIResponse {
        let identity = try await createIdentity(label, by: caller)
        var body: JSONObject = JSONObject([("identity_id", .string(identity)), ("server_id", .string(server))])
        if let policy { body["policy_id"] = .string(policy) }
        return try await send(.post, "/v1/grants", key: caller.key, json: .object(body))
    }
}
