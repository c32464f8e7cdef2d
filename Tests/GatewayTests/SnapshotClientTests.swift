import AsyncHTTPClient
import Foundation
@testable import Gateway
import Logging
import Shared
import TestSupport
import Testing

/// The worker's snapshot client against a real control plane and PostgreSQL (design.md §5.10, §6.1).
@Suite(.timeLimit(.minutes(2)))
struct SnapshotClientTests {
    static let quickTiming = SnapshotClient.Timing(
        pollWaitSeconds: 5, heartbeatInterval: .seconds(1), metricsInterval: .seconds(1),
        firstRetry: .milliseconds(100), longestRetry: .milliseconds(300), fullFetchTimeout: .seconds(10)
    )

    /// Runs a snapshot client on `store` while `body` runs, then cancels it.
    static func withSnapshotClient(
        controlPlaneURL: String, workerToken: String?, store: SnapshotStore, file: SnapshotFile? = nil,
        _ body: () async throws -> Void
    ) async throws {
        let client = SnapshotClient(
            controlPlaneURL: controlPlaneURL, workerToken: workerToken,
            store: store, file: file, workerID: "test-worker", timing: quickTiming, logger: Logger(label: "snapshot-test")
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            try await body()
        }
    }

    static func temporaryFilePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("snapshot-\(UUID().uuidString).json").path
    }

    @Test func workerLoadsTheSnapshotFollowsChangesAndKeepsItWhenTheControlPlaneStops() async throws {
        try await withTestDatabase { database, conninfo in
            let controlPlane = try await ControlPlaneFixture.start(conninfo: conninfo)
            let store = SnapshotStore()
            let filePath = Self.temporaryFilePath()
            defer { try? FileManager.default.removeItem(atPath: filePath) }
            do {
                try await Self.withSnapshotClient(
                    controlPlaneURL: controlPlane.server.baseURL, workerToken: controlPlane.workerToken, store: store,
                    file: SnapshotFile(path: filePath)
                ) {
                    #expect(try await eventually(within: .seconds(10)) { store.snapshot != nil })
                    let loadedVersion = try #require(store.snapshot).version

                    // A change made through the admin API arrives by long-poll, not by a refetch.
                    let apiKey = try await controlPlane.signUp()
                    let identityID = try await controlPlane.createIdentity(label: "alice-laptop", apiKey: apiKey)
                    #expect(try await eventually(within: .seconds(3)) { store.snapshot?.identitiesByID[identityID] != nil })
                    #expect(try #require(store.snapshot).version > loadedVersion)
                    #expect(store.snapshot?.identitiesByID[identityID]?.label == "alice-laptop")
                    // The file is written just after the swap, so on a busy machine it may trail the store.
                    #expect(try await eventually(within: .seconds(3)) {
                        (try? SnapshotFile(path: filePath).load())?.snapshot.entities.identities.contains { $0.id == identityID } ?? false
                    })

                    let versionBeforeStop = try #require(store.snapshot).version
                    // Heartbeats tell operators which version each worker enforces.
                    var heartbeatVersion: Int64 = -1
                    let heartbeatDeadline = ContinuousClock.now + .seconds(3)
                    while heartbeatVersion != versionBeforeStop, ContinuousClock.now < heartbeatDeadline {
                        try await Task.sleep(for: .milliseconds(200))
                        heartbeatVersion = try await database.query(
                            "SELECT coalesce(max(snapshot_version), -1) AS version FROM workers WHERE id = 'test-worker'"
                        ).first?.decode("version") ?? -1
                    }
                    #expect(heartbeatVersion == versionBeforeStop)

                    try await controlPlane.stop()
                    try await Task.sleep(for: .seconds(1))
                    #expect(store.snapshot?.version == versionBeforeStop)
                    #expect(store.snapshot?.identitiesByID[identityID] != nil)
                }
            } catch {
                try? await controlPlane.stop()
                throw error
            }

            // A new worker with the control plane down starts from the saved file.
            let restarted = SnapshotStore()
            try await Self.withSnapshotClient(
                controlPlaneURL: controlPlane.server.baseURL, workerToken: controlPlane.workerToken, store: restarted,
                file: SnapshotFile(path: filePath)
            ) {
                let loaded = try await eventually(within: .seconds(5)) { restarted.snapshot != nil }
                #expect(loaded)
                #expect(restarted.snapshot?.entities(identity: "alice-laptop") == true)
            }
        }
    }

    @Test func withNeitherControlPlaneNorFileTheStoreStaysEmpty() async throws {
        let store = SnapshotStore()
        try await Self.withSnapshotClient(
            controlPlaneURL: "http://127.0.0.1:\(try freeLoopbackPort())", workerToken: nil, store: store,
            file: SnapshotFile(path: Self.temporaryFilePath())
        ) {
            try await Task.sleep(for: .seconds(1))
            #expect(store.snapshot == nil)
        }
    }
}

extension EnforcementSnapshot {
    fileprivate func entities(identity label: String) -> Bool {
        identitiesByID.values.contains { $0.label == label }
    }
}

/// The `gateway` binary with a control plane: ready once the snapshot is in force.
@Suite(.timeLimit(.minutes(2)))
struct GatewayReadinessTests {
    /// GET `/readyz` until it answers 200 or `timeout` passes; returns the last status.
    static func readiness(of gateway: RunningServer, within timeout: Duration) async throws -> Int {
        var status = try await gateway.get("/readyz").status
        let deadline = ContinuousClock.now + timeout
        while status != 200, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            status = try await gateway.get("/readyz").status
        }
        return status
    }

    @Test func theWorkerBecomesReadyOnceItLoadsASnapshotAndRestartsFromItsFile() async throws {
        let snapshotFile = SnapshotClientTests.temporaryFilePath()
        defer { try? FileManager.default.removeItem(atPath: snapshotFile) }
        try await withTestDatabase { _, conninfo in
            let controlPlane = try await ControlPlaneFixture.start(conninfo: conninfo)
            let gateway = try await RunningServer.start("gateway", [
                "--counters", "memory", "--control-plane-url", controlPlane.server.baseURL,
                "--worker-token", controlPlane.workerToken, "--snapshot-file", snapshotFile,
            ] + GatewayHarness.standaloneArguments())
            defer { gateway.process.removeOutput() }
            #expect(try await Self.readiness(of: gateway, within: .seconds(10)) == 200)
            #expect(try await gateway.get("/metrics").body.contains("portcullis_snapshot_version"))
            #expect(!gateway.process.output.contains(controlPlane.workerToken))
            gateway.process.signal(SIGTERM)
            #expect(try await gateway.process.waitForExit(timeout: .seconds(15)) == .exited(0))
            try await controlPlane.kill()

            // With the control plane down, a restarted worker serves the snapshot it saved.
            let restarted = try await RunningServer.start("gateway", [
                "--counters", "memory", "--control-plane-url", controlPlane.server.baseURL,
                "--worker-token", controlPlane.workerToken, "--snapshot-file", snapshotFile,
            ] + GatewayHarness.standaloneArguments())
            defer { restarted.process.removeOutput() }
            #expect(try await Self.readiness(of: restarted, within: .seconds(10)) == 200)
            restarted.process.signal(SIGTERM)
            #expect(try await restarted.process.waitForExit(timeout: .seconds(15)) == .exited(0))
        }
    }
}
