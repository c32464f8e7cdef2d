import Foundation
import HTTPTypes
import Logging
import Shared
import Synchronization
import TestSupport
import Testing

@testable import Gateway
import JSON

/// design.md §5.7: a worker reports a tool definition that drifted from its pin, once, off the request path.
@Suite(.timeLimit(.minutes(2)))
struct DriftReporterTests {
    /// Runs the reporter while `body` runs, then cancels it.
    static func withReporter(
        controlPlaneURL: String, workerToken: String?, _ body: (DriftReporter) async throws -> Void
    ) async throws {
        let reporter = DriftReporter(controlPlaneURL: controlPlaneURL, workerToken: workerToken, timeout: .seconds(5), logger: Logger(label: "drift-test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await reporter.run() }
            defer { group.cancelAll() }
            try await body(reporter)
        }
    }

    static func hash(_ digit: Character) -> String { String(repeating: digit, count: 64) }

    @Test func theControlPlaneRecordsTheDriftAndABusyWorkerReportsItOnce() async throws {
        try await withTestDatabase { database, conninfo in
            let server: UUID = try await database.query("""
                WITH account AS (INSERT INTO accounts (name, slug) VALUES ('Acme', \("acme-\(UInt32.random(in: 0...UInt32.max))")) RETURNING id)
                INSERT INTO servers (account_id, name, url) SELECT id, 'runpod', 'https://mcp.example.com/mcp' FROM account
                RETURNING id
                """).first!.decode("id")
            for tool in ["stop-pod", "list-pods"] {
                try await database.execute("""
                    INSERT INTO tools (account_id, server_id, name, definition, definition_hash, approved_hash,
                                       risk_class, risk_severity, risk_rationale, risk_source)
                    SELECT account_id, id, \(tool), '{}', \(Self.hash("a")), \(Self.hash("a")), 'execute', 'high', 'verb', 'name'
                    FROM servers WHERE id = \(server)
                    """)
            }
            func drift(of tool: String) async throws -> (hash: String?, at: Date?) {
                let row = try await database.query("SELECT drift_hash, drift_reported_at FROM tools WHERE server_id = \(server) AND name = \(tool)").first!
                return (try row.decode("drift_hash", as: String?.self), try row.decode("drift_reported_at", as: Date?.self))
            }

            let controlPlane = try await ControlPlaneFixture.start(conninfo: conninfo)
            do {
                try await Self.withReporter(controlPlaneURL: controlPlane.server.baseURL, workerToken: controlPlane.workerToken) { reporter in
                    let started = ContinuousClock.now
                    for _ in 0..<50 { reporter.report(serverID: server, tool: "stop-pod", observedHash: Self.hash("b")) }
                    #expect(ContinuousClock.now - started < .milliseconds(50), "reporting never waits for the control plane")
                    var recorded: (hash: String?, at: Date?) = (nil, nil)
                    let deadline = ContinuousClock.now + .seconds(5)
                    while recorded.hash == nil, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(50))
                        recorded = try await drift(of: "stop-pod")
                    }
                    #expect(recorded.hash == Self.hash("b"))
                    let firstReportAt = try #require(recorded.at)

                    // More sightings of the same drift, then another tool's drift: reports go out
                    // in order, so once the second is recorded a repeat of the first would have been too.
                    for _ in 0..<50 { reporter.report(serverID: server, tool: "stop-pod", observedHash: Self.hash("b")) }
                    reporter.report(serverID: server, tool: "list-pods", observedHash: Self.hash("c"))
                    var marker: String?
                    let markerDeadline = ContinuousClock.now + .seconds(5)
                    while marker == nil, ContinuousClock.now < markerDeadline {
                        try await Task.sleep(for: .milliseconds(50))
                        marker = try await drift(of: "list-pods").hash
                    }
                    #expect(marker == Self.hash("c"))
                    #expect(try await drift(of: "stop-pod").at == firstReportAt)

                    // A drift to yet another definition is news, and is reported.
                    reporter.report(serverID: server, tool: "stop-pod", observedHash: Self.hash("d"))
                    var latest: String?
                    let latestDeadline = ContinuousClock.now + .seconds(5)
                    while latest != Self.hash("d"), ContinuousClock.now < latestDeadline {
                        try await Task.sleep(for: .milliseconds(50))
                        latest = try await drift(of: "stop-pod").hash
                    }
                    #expect(latest == Self.hash("d"))
                }
                try await controlPlane.stop()
            } catch {
                try? await controlPlane.stop()
                throw error
            }
        }
    }

    @Test func reportsCarryTheWorkerTokenAndAFailedReportIsRetriedAtTheNextSighting() async throws {
        let answers = Mutex([HTTPResponse.Status.internalServerError])
        try await WebhookReceiver.run(answer: { _ in answers.withLock { $0.isEmpty ? .accepted : $0.removeFirst() } }) { controlPlane in
            try await Self.withReporter(controlPlaneURL: controlPlane.url(""), workerToken: "pcs_wk_test") { reporter in
                let server = UUID()
                reporter.report(serverID: server, tool: "stop-pod", observedHash: Self.hash("b"))
                #expect(try await eventually(within: .seconds(5)) { controlPlane.requests.count == 1 })
                // The first report failed (500), so the drift is forgotten once that answer is in, and
                // a later sighting sends it again (sightings before that are the same report in flight).
                let deadline = ContinuousClock.now + .seconds(10)
                while controlPlane.requests.count < 2, ContinuousClock.now < deadline {
                    reporter.report(serverID: server, tool: "stop-pod", observedHash: Self.hash("b"))
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(controlPlane.requests.count == 2)
                // That one succeeded: later sightings send nothing.
                for _ in 0..<20 { reporter.report(serverID: server, tool: "stop-pod", observedHash: Self.hash("b")) }
                try await Task.sleep(for: .milliseconds(300))
                #expect(controlPlane.requests.count == 2)

                let request = try #require(controlPlane.requests.last)
                #expect(request.method == .post && request.path == "/internal/v1/drift")
                #expect(request.headers["authorization"] == "Bearer pcs_wk_test")
                let body = try JSONValue.parse(request.body)
                #expect(body["server_id"]?.stringValue == server.uuidString.lowercased())
                #expect(body["tool"] == "stop-pod")
                #expect(body["observed_hash"]?.stringValue == Self.hash("b"))
            }
        }
    }
}
