import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Keeps the worker's policy snapshot current (design.md §6.1): fetches the full snapshot at start, then
/// long-polls the control plane for deltas, heartbeats with the version in force, and keeps
/// enforcing the last good snapshot whatever goes wrong (design.md §5.10).
struct SnapshotClient: Service {
    struct Timing: Sendable {
        /// How long the control plane may hold a long-poll, in seconds (it allows up to 60).
        var pollWaitSeconds = 30
        var heartbeatInterval: Duration = .seconds(10)
        var metricsInterval: Duration = .seconds(5)
        /// Retries after a failure wait from `firstRetry`, doubling up to `longestRetry`.
        var firstRetry: Duration = .milliseconds(500)
        var longestRetry: Duration = .seconds(15)
        var fullFetchTimeout: Duration = .seconds(60)

        static let standard = Timing()
    }

    let controlPlaneURL: String
    let workerToken: String?
    let store: SnapshotStore
    let file: SnapshotFile?
    let workerID: String
    let timing: Timing
    let logger: Logger
    private let metrics = SnapshotMetrics()

    init(
        controlPlaneURL: String, workerToken: String?, store: SnapshotStore, file: SnapshotFile?, workerID: String,
        timing: Timing = .standard, logger: Logger
    ) {
        self.controlPlaneURL = controlPlaneURL
        self.workerToken = workerToken
        self.store = store
        self.file = file
        self.workerID = workerID
        self.timing = timing
        self.logger = logger
    }

    func run() async throws {
        let httpClient = ControlPlaneConnection.makeHTTPClient()
        let connection = ControlPlaneConnection(baseURL: controlPlaneURL, workerToken: workerToken, httpClient: httpClient)
        // Each loop ends when cancelled; graceful shutdown cancels them all, including a long-poll
        // in flight, which would otherwise hold shutdown for up to its wait.
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await followSnapshots(connection) }
                group.addTask { await sendHeartbeats(connection) }
                group.addTask { await recordMetrics() }
            }
        }
        try await httpClient.shutdown()
    }

    /// The full snapshot, then deltas after it, for as long as the task lives. `basis` is the full
    /// snapshot the next delta applies to; nil means a full fetch is due.
    private func followSnapshots(_ connection: ControlPlaneConnection) async {
        var basis: FullSnapshot?
        var retry = timing.firstRetry
        var triedFile = false
        while !Task.isCancelled {
            do {
                if let current = basis {
                    switch try await connection.poll(since: current.version, waitSeconds: timing.pollWaitSeconds) {
                    case .delta(let delta):
                        let next = try current.applying(delta)
                        accept(next)
                        basis = next
                    case .unchanged:
                        store.markConfirmed(at: Date())
                    case .gone:
                        logger.info("snapshot version no longer in the change log; fetching the full snapshot", metadata: ["snapshot.version": "\(current.version)"])
                        basis = nil
                    }
                } else {
                    let full = try await connection.fetchFull(timeout: timing.fullFetchTimeout)
                    accept(full)
                    basis = full
                }
                retry = timing.firstRetry
            } catch {
                // Cancellation reaches a request in flight as the HTTP client's own error.
                if Task.isCancelled { return }
                logger.warning("snapshot update failed; enforcing the last snapshot", metadata: [
                    "error": "\(error)", "snapshot.version": "\(store.snapshot.map { "\($0.version)" } ?? "none")",
                ])
                if !triedFile, store.snapshot == nil, let loaded = loadFile() {
                    basis = loaded
                }
                triedFile = true
                do { try await Task.sleep(for: retry) } catch { return }
                retry = min(retry * 2, timing.longestRetry)
            }
        }
    }

    /// Builds and puts `snapshot` in force, then saves it. Policies the snapshot in force already
    /// compiled are reused; one that does not compile denies its own grants (issue 10 item 11).
    func accept(_ snapshot: FullSnapshot) {
        let built = EnforcementSnapshot(snapshot, previous: store.snapshot)
        report(built.policyCompilation)
        store.swap(built, confirmedAt: Date())
        metrics.record(store)
        logger.info("snapshot in force", metadata: ["snapshot.version": "\(snapshot.version)"])
        if let file {
            do { try file.save(snapshot) } catch {
                logger.warning("cannot save the snapshot file", metadata: ["path": "\(file.path)", "error": "\(error)"])
            }
        }
    }

    /// The snapshot saved by an earlier run, put in force so the worker serves while the control
    /// plane is down; nil without a file or when it does not load.
    private func loadFile() -> FullSnapshot? {
        guard let file else { return nil }
        do {
            guard let (snapshot, savedAt) = try file.load() else { return nil }
            let built = EnforcementSnapshot(snapshot, receivedAt: savedAt)
            report(built.policyCompilation)
            store.swap(built, confirmedAt: nil)
            metrics.record(store)
            logger.notice("serving the snapshot saved in the snapshot file", metadata: ["snapshot.version": "\(snapshot.version)", "path": "\(file.path)"])
            return snapshot
        } catch {
            logger.error("cannot load the snapshot file", metadata: ["path": "\(file.path)", "error": "\(error)"])
            return nil
        }
    }

    /// One log line per policy version that does not compile, and the compilation metrics.
    private func report(_ compilation: (compilations: Int, failures: [SnapshotPolicyCompilation.Failure])) {
        metrics.recordCompilations(compilation.compilations, failures: compilation.failures.count)
        for failure in compilation.failures {
            logger.error("policy does not compile on this worker; its grants deny every call", metadata: [
                "policy.id": "\(failure.policyID)", "policy.version": "\(failure.version)", "reason": "\(failure.reason)",
            ])
        }
    }

    private func sendHeartbeats(_ connection: ControlPlaneConnection) async {
        while !Task.isCancelled {
            do {
                try await connection.heartbeat(workerID: workerID, snapshotVersion: store.snapshot?.version, timeout: .seconds(5))
            } catch {
                if Task.isCancelled { return }
                logger.debug("heartbeat failed", metadata: ["error": "\(error)"])
            }
            do { try await Task.sleep(for: timing.heartbeatInterval) } catch { return }
        }
    }

    private func recordMetrics() async {
        while !Task.isCancelled {
            metrics.record(store)
            do { try await Task.sleep(for: timing.metricsInterval) } catch { return }
        }
    }
}
