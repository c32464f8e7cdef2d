import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Shared

/// The worker's side of the control plane's internal API (docs/api.md "Worker API"): full
/// snapshots, long-polled deltas, heartbeats and drift reports, authenticated with the worker token.
struct ControlPlaneConnection: Sendable {
    /// What a long-poll brought back.
    enum PollResult: Sendable {
        case delta(SnapshotDelta)
        /// Nothing changed during the wait.
        case unchanged
        /// The change log no longer reaches back to the version asked for: fetch the full snapshot.
        case gone
    }

    let baseURL: String
    let workerToken: String?
    let httpClient: HTTPClient
    /// The largest snapshot accepted; far above any real configuration, it only bounds memory.
    static let maximumSnapshotBytes = 256 << 20
    /// The snapshot client backs off itself, so a connection that cannot be made fails the request
    /// at once; the shared client would retry it until the request's deadline (up to a long-poll's
    /// wait) before the worker could fall back to its snapshot file.
    static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// The software version heartbeats report to operators; there are no releases yet.
    static let softwareVersion = "0.1.0-dev"

    func fetchFull(timeout: Duration) async throws -> FullSnapshot {
        let (status, body) = try await get("/internal/v1/snapshot", timeout: timeout)
        guard status == .ok else { throw ControlPlaneError.unexpectedStatus(status.code) }
        return try SnapshotCoding.decoder().decode(FullSnapshot.self, from: body)
    }

    /// Asks for the changes after `version`; the control plane holds the request up to `wait`
    /// seconds, so the client timeout is a little longer than the wait.
    func poll(since version: Int64, waitSeconds: Int) async throws -> PollResult {
        let (status, body) = try await get(
            "/internal/v1/snapshot?since=\(version)&wait=\(waitSeconds)", timeout: .seconds(waitSeconds + 10)
        )
        switch status {
        case .ok: return .delta(try SnapshotCoding.decoder().decode(SnapshotDelta.self, from: body))
        case .noContent: return .unchanged
        case .gone: return .gone
        default: throw ControlPlaneError.unexpectedStatus(status.code)
        }
    }

    func heartbeat(workerID: String, snapshotVersion: Int64?, timeout: Duration) async throws {
        struct Heartbeat: Encodable {
            let worker_id: String
            let version: String
            let snapshot_version: Int64?
        }
        var request = authorizedRequest("/internal/v1/workers/heartbeat")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = try JSONEncoder().encode(Heartbeat(worker_id: workerID, version: Self.softwareVersion, snapshot_version: snapshotVersion))
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await httpClient.execute(request, timeout: TimeAmount(timeout))
        guard response.status == .noContent else { throw ControlPlaneError.unexpectedStatus(response.status.code) }
    }

    /// Reports a `tools/list` definition whose hash differs from the snapshot's (design.md §5.7). The
    /// control plane answers 202 when it recorded the drift and 204 when there was nothing to
    /// record (rediscovery already made the hash the tool's definition, or the tool is gone).
    func reportDrift(serverID: UUID, tool: String, observedHash: String, timeout: Duration) async throws {
        struct Drift: Encodable {
            let server_id: String
            let tool: String
            let observed_hash: String
        }
        var request = authorizedRequest("/internal/v1/drift")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = try JSONEncoder().encode(Drift(server_id: serverID.uuidString.lowercased(), tool: tool, observed_hash: observedHash))
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await httpClient.execute(request, timeout: TimeAmount(timeout))
        guard response.status == .accepted || response.status == .noContent else {
            throw ControlPlaneError.unexpectedStatus(response.status.code)
        }
    }

    private func get(_ path: String, timeout: Duration) async throws -> (HTTPResponseStatus, Data) {
        let response = try await httpClient.execute(authorizedRequest(path), timeout: TimeAmount(timeout))
        let body = try await response.body.collect(upTo: Self.maximumSnapshotBytes)
        return (response.status, Data(body.readableBytesView))
    }

    private func authorizedRequest(_ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL.trimmingSuffix("/") + path)
        if let workerToken { request.headers.add(name: "Authorization", value: "Bearer \(workerToken)") }
        return request
    }
}

/// An answer the worker cannot use; the status only, never the body (it could echo a header).
enum ControlPlaneError: Error, CustomStringConvertible {
    case unexpectedStatus(UInt)

    var description: String {
        switch self {
        case .unexpectedStatus(let code): "the control plane answered \(code)"
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
