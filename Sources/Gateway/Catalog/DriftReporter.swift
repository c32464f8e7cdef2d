import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Shared

/// Tells the control plane when a live `tools/list` definition differs from the snapshot's
/// (design.md §5.7), so admins see the drift before the next scheduled discovery.
///
/// Off the request path: `report` only remembers and queues, and the service sends one report at
/// a time. A busy worker sees the same drift on every `tools/list`, so each (server, tool, hash)
/// is sent once per process; a report that fails is forgotten again, and the next sighting
/// retries it. Reports still queued at shutdown are dropped: another sighting, on this worker
/// after a restart or on any other, reports the drift again.
final class DriftReporter: Service, Sendable {
    struct Drift: Hashable, Sendable {
        let serverID: UUID
        let tool: String
        /// The observed definition hash, lowercase hex (`ToolDefinitionHash`).
        let observedHash: String
    }

    static let queueCapacity = 256
    /// Bounds the memory of what was reported; past it the record starts over, which at worst
    /// reports a drift a second time.
    static let rememberedLimit = 10_000

    let controlPlaneURL: String
    let workerToken: String?
    let timeout: Duration
    private let logger: Logger
    private let reported = NIOLockedValueBox<Set<Drift>>([])
    private let drifts: AsyncStream<Drift>
    private let queue: AsyncStream<Drift>.Continuation

    init(controlPlaneURL: String, workerToken: String?, timeout: Duration = .seconds(5), logger: Logger) {
        self.controlPlaneURL = controlPlaneURL
        self.workerToken = workerToken
        self.timeout = timeout
        self.logger = logger
        (drifts, queue) = AsyncStream.makeStream(of: Drift.self, bufferingPolicy: .bufferingOldest(Self.queueCapacity))
    }

    /// Queues a report unless this drift was already reported; returns at once.
    func report(serverID: UUID, tool: String, observedHash: String) {
        let drift = Drift(serverID: serverID, tool: tool, observedHash: observedHash)
        let isNew = reported.withLockedValue { reported in
            if reported.count >= Self.rememberedLimit { reported.removeAll(keepingCapacity: true) }
            return reported.insert(drift).inserted
        }
        guard isNew else { return }
        if case .dropped = queue.yield(drift) {
            forget(drift)
            logger.warning("drift report dropped: queue full", metadata: Self.logMetadata(drift))
        }
    }

    func run() async throws {
        let httpClient = ControlPlaneConnection.makeHTTPClient()
        let connection = ControlPlaneConnection(baseURL: controlPlaneURL, workerToken: workerToken, httpClient: httpClient)
        await cancelWhenGracefulShutdown {
            for await drift in self.drifts {
                await self.send(drift, over: connection)
            }
        }
        try await httpClient.shutdown()
    }

    private func send(_ drift: Drift, over connection: ControlPlaneConnection) async {
        do {
            try await connection.reportDrift(serverID: drift.serverID, tool: drift.tool, observedHash: drift.observedHash, timeout: timeout)
            logger.info("tool definition drift reported", metadata: Self.logMetadata(drift))
        } catch {
            forget(drift)
            logger.warning("drift report failed", metadata: Self.logMetadata(drift).merging(["error": "\(error)"]) { $1 })
        }
    }

    private func forget(_ drift: Drift) {
        _ = reported.withLockedValue { $0.remove(drift) }
    }

    private static func logMetadata(_ drift: Drift) -> Logger.Metadata {
        ["server.id": "\(drift.serverID)", "tool.name": "\(drift.tool)", "tool.observed_hash": "\(drift.observedHash)"]
    }
}
