import Foundation
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// `/internal/v1`: what gateway workers call (design.md §6, §6.1).
@Suite(.timeLimit(.minutes(2)))
struct WorkerAPITests {
    static let workerToken = SecretToken.generate(.worker).text

    static func snapshot(_ api: APIClient, _ query: String = "") async throws -> (APIResponse, Data?) {
        let response = try await api.send(.get, "/internal/v1/snapshot\(query)", key: workerToken)
        return (response, response.json.map { Data($0.serialized().utf8) })
    }

    @Test func workerEndpointsRequireAnAcceptedWorkerToken() async throws {
        try await withAPI(workerTokens: [Self.workerToken]) { api, _ in
            let admin = try await api.signup()
            for key in [nil, "pcs_wk_not-accepted", admin.key] {
                let response = try await api.send(.get, "/internal/v1/snapshot", key: key)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                #expect(response.isProblem)
            }
        }
    }

    @Test func changesMadeThroughTheAPIReachTheSnapshotAndItsDeltas() async throws {
        try await withAPI(workerTokens: [Self.workerToken]) { api, _ in
            let admin = try await api.signup("Acme")
            let (fullResponse, fullData) = try await Self.snapshot(api)
            #expect(fullResponse.status == .ok)
            let full = try SnapshotCoding.decoder().decode(FullSnapshot.self, from: try #require(fullData))
            #expect(full.entities.accounts.map(\.id.uuidString).map { $0.lowercased() } == [admin.accountID.lowercased()])

            let created = try await api.send(.post, "/v1/identities", key: admin.key, json: ["label": "ci-runner"])
            #expect(created.status == .created)
            let (deltaResponse, deltaData) = try await Self.snapshot(api, "?since=\(full.version)")
            #expect(deltaResponse.status == .ok)
            let delta = try SnapshotCoding.decoder().decode(SnapshotDelta.self, from: try #require(deltaData))
            #expect(delta.upserts.identities.map(\.label) == ["ci-runner"])
            let next = try full.applying(delta)

            let identityID = try #require(created["id"]?.stringValue)
            #expect(try await api.send(.delete, "/v1/identities/\(identityID)", key: admin.key).status == .noContent)
            let (_, removedData) = try await Self.snapshot(api, "?since=\(next.version)")
            let removed = try SnapshotCoding.decoder().decode(SnapshotDelta.self, from: try #require(removedData))
            #expect(removed.deletes.map(\.kind) == [.identity])
        }
    }

    @Test func longPollAnswers204WithNoChange410ForAnUnknownVersionAnd400ForGarbage() async throws {
        try await withAPI(workerTokens: [Self.workerToken]) { api, _ in
            _ = try await api.signup()
            let (_, data) = try await Self.snapshot(api)
            let version = try SnapshotCoding.decoder().decode(FullSnapshot.self, from: try #require(data)).version
            #expect(try await api.send(.get, "/internal/v1/snapshot?since=\(version)&wait=1", key: Self.workerToken).status == .noContent)
            let gone = try await api.send(.get, "/internal/v1/snapshot?since=\(version + 1000)", key: Self.workerToken)
            #expect(gone.status == .gone)
            #expect(gone.isProblem)
            for query in ["since=abc", "since=-1", "since=1&wait=999", "since=1&wait=x"] {
                let bad = try await api.send(.get, "/internal/v1/snapshot?\(query)", key: Self.workerToken)
                #expect(bad.status == .badRequest, "\(query)")
            }
        }
    }

    @Test func heartbeatRecordsTheWorkerAndRejectsBadBodies() async throws {
        try await withAPI(workerTokens: [Self.workerToken]) { api, db in
            let beat = try await api.send(.post, "/internal/v1/workers/heartbeat", key: Self.workerToken,
                                          json: ["worker_id": "gw-1", "version": "0.1.0", "snapshot_version": 7])
            #expect(beat.status == .noContent)
            let row = try #require(try await db.query("SELECT version, snapshot_version FROM workers WHERE id = 'gw-1'").first)
            #expect(try row.decode("version", as: String.self) == "0.1.0")
            #expect(try row.decode("snapshot_version", as: Int.self) == 7)
            let bad = try await api.send(.post, "/internal/v1/workers/heartbeat", key: Self.workerToken, json: ["worker": "gw-1"])
            #expect(bad.status == .badRequest)
            #expect(Set(bad.errorPointers) == ["/worker_id", "/worker"])
        }
    }

    @Test func driftReportMarksTheToolWhoseDefinitionChanged() async throws {
        try await withAPI(workerTokens: [Self.workerToken]) { api, db in
            let admin = try await api.signup()
            let account = try #require(UUID(uuidString: admin.accountID))
            let server: UUID = try await db.query("""
                INSERT INTO servers (account_id, name, url) VALUES (\(account), 'runpod', 'https://mcp.example.com/mcp') RETURNING id
                """).first!.decode("id")
            let pinned = String(repeating: "a", count: 64)
            try await db.execute("""
                INSERT INTO tools (account_id, server_id, name, definition, definition_hash, approved_hash,
                                   risk_class, risk_severity, risk_rationale, risk_source)
                VALUES (\(account), \(server), 'stop-pod', '{}', \(pinned), \(pinned), 'execute', 'high', 'verb stop', 'name')
                """)
            let observed = String(repeating: "b", count: 64)
            let report = try await api.send(.post, "/internal/v1/drift", key: Self.workerToken,
                                            json: ["server_id": .string(server.uuidString), "tool": "stop-pod", "observed_hash": .string(observed)])
            #expect(report.status == .accepted)
            let drift = try await db.query("SELECT drift_hash FROM tools WHERE name = 'stop-pod'").first!.decode("drift_hash", as: String?.self)
            #expect(drift == observed)
            let bad = try await api.send(.post, "/internal/v1/drift", key: Self.workerToken,
                                         json: ["server_id": "nope", "tool": "stop-pod", "observed_hash": "xyz"])
            #expect(Set(bad.errorPointers) == ["/server_id", "/observed_hash"])
        }
    }
}
