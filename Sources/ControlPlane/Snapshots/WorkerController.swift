import Foundation
import Hummingbird
import Shared

/// The internal API gateway workers call (design.md §6 "workers", 6.1): snapshots (full or long-polled
/// deltas), heartbeats, and reports of tool definitions that drifted from their pins.
struct WorkerController<Context: RequestContext>: Sendable {
    let store: SnapshotReader
    let watcher: ConfigChangeWatcher
    let database: Database
    private let deltas: SharedDeltaReads

    init(store: SnapshotReader, watcher: ConfigChangeWatcher, database: Database) {
        self.store = store
        self.watcher = watcher
        self.database = database
        deltas = SharedDeltaReads(read: store.delta(since:))
    }
    /// The longest `wait` a worker may ask for; a long-poll never holds a request longer.
    static var maximumWait: Int { 60 }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("/snapshot", use: snapshot)
        group.post("/workers/heartbeat", use: heartbeat)
        group.post("/drift", use: drift)
    }

    /// Without `since`: the full snapshot. With `since=V`: the changes after V, at once if there
    /// are any, else as soon as one commits (up to `wait` seconds, then 204). A V the change log no
    /// longer covers is 410: the worker fetches the full snapshot again.
    @Sendable func snapshot(_ request: Request, context: Context) async throws -> Response {
        let query = request.uri.queryParameters
        let wait = try query["wait"].map { text -> Int in
            guard let seconds = Int(String(text)), (0...Self.maximumWait).contains(seconds) else {
                throw ProblemError.invalidFields([.init(pointer: "/wait", message: "must be an integer from 0 to \(Self.maximumWait)")])
            }
            return seconds
        } ?? 0
        guard let sinceText = query["since"] else { return try encoded(try await store.full()) }
        guard let since = Int64(String(sinceText)), since >= 0 else {
            throw ProblemError.invalidFields([.init(pointer: "/since", message: "must be a non-negative integer")])
        }
        let deadline = ContinuousClock.now + .seconds(wait)
        while true {
            switch try await deltas.delta(since: since, committed: watcher.latest) {
            case .delta(let delta):
                return try encoded(delta)
            case .gone:
                throw ProblemError(status: .gone, detail: "Change \(since) is no longer available; fetch the full snapshot.")
            case .unchanged(let version):
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero, await watcher.waitForChange(after: version, timeout: remaining) else {
                    return Response(status: .noContent)
                }
            }
        }
    }

    @Sendable func heartbeat(_ request: Request, context: Context) async throws -> Response {
        // Every member is read before any is judged, so one bad member does not hide the others.
        let beat = try await request.readJSONBody(context: context) { body -> (id: String, version: String, snapshot: Int?)? in
            let id = body.required("worker_id", as: String.self, rule: { (1...200).contains($0.unicodeScalars.count) ? nil : "must be 1 to 200 characters" })
            let version = body.optional("version", as: String.self) ?? ""
            let snapshot = body.optional("snapshot_version", as: Int.self)
            return id.map { ($0, version, snapshot) }
        }
        try await database.execute("""
            INSERT INTO workers (id, version, snapshot_version) VALUES (\(beat.id), \(beat.version), \(beat.snapshot))
            ON CONFLICT (id) DO UPDATE
            SET version = excluded.version, snapshot_version = excluded.snapshot_version, last_heartbeat = now()
            """)
        return Response(status: .noContent)
    }

    /// A worker saw a `tools/list` definition whose hash differs from the snapshot's (design.md §5.7).
    @Sendable func drift(_ request: Request, context: Context) async throws -> Response {
        let report = try await request.readJSONBody(context: context) { body -> (server: UUID, tool: String, hash: String)? in
            let server = body.required("server_id", as: UUID.self)
            let tool = body.required("tool", as: String.self)
            let hash = body.required("observed_hash", as: String.self, rule: Self.hexDigestRule)
            guard let server, let tool, let hash else { return nil }
            return (server, tool, hash)
        }
        let updated = try await database.execute("""
            UPDATE tools SET drift_hash = \(report.hash), drift_reported_at = now()
            WHERE server_id = \(report.server) AND name = \(report.tool) AND definition_hash <> \(report.hash)
            """)
        return Response(status: updated.affectedRows > 0 ? .accepted : .noContent)
    }

    private static func hexDigestRule(_ text: String) -> String? {
        text.count == 64 && text.allSatisfy(\.isHexDigit) ? nil : "must be a SHA-256 digest in hex (64 characters)"
    }

    private func encoded(_ value: some Encodable) throws -> Response {
        let data = try SnapshotCoding.encoder().encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
