import Foundation
import TestSupport
import Testing

/// What an operator's Prometheus sees (issue 13 item 6): the metrics that the dashboard and the
/// alert rules of deploy/observability name, `portcullis_ready`, and a spool gauge that shows the
/// backlog draining.
@Suite(.timeLimit(.minutes(3)))
struct OperatorMetricsTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let observabilityFiles = ["deploy/observability/grafana-dashboard.json", "deploy/observability/alerts.yaml"]

    /// A worker serving one grant whose policy allows every call, on a fake upstream.
    static func withAllowingWorker(
        _ body: (GatewayHarness, GatewayWorker, GatewayHarness.Grant) async throws -> Void
    ) async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(recordRequests: false))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: ["version": "1", "default": "allow"])
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)
            try await body(harness, worker, grant)
        }
    }

    @Test func everyMetricTheDashboardAndTheAlertRulesNameIsExportedByAWorkerOrTheControlPlane() async throws {
        try await Self.withAllowingWorker { harness, worker, grant in
            // Labelled series exist once something was counted: one call through the worker.
            #expect(try await worker.post(toolCall(1, "echo"), grant: grant).response(id: 1)?["result"] != nil)
            let exported = Self.seriesNames(try await worker.server.get("/metrics").body)
                .union(Self.seriesNames(try await harness.controlPlane.server.get("/metrics").body))
            for file in Self.observabilityFiles {
                let text = try String(contentsOf: Self.repositoryRoot.appendingPathComponent(file), encoding: .utf8)
                let named = try Self.metricNames(in: text)
                #expect(named.count >= 5, "\(file) names too few metrics: \(named.sorted())")
                for name in named.sorted() {
                    #expect(exported.contains(name), "\(file) uses \(name), which neither process exports")
                }
            }
        }
    }

    @Test func portcullisReadyIsZeroWithoutASnapshotAndOneOnceASnapshotIsInForce() async throws {
        let standalone = try await RunningServer.start("gateway", ["--counters", "memory"] + GatewayHarness.standaloneArguments())
        defer { standalone.process.removeOutput() }
        #expect(Self.value(of: "portcullis_ready", in: try await standalone.get("/metrics").body) == 0)
        standalone.process.signal(SIGTERM)
        _ = try await standalone.process.waitForExit(timeout: .seconds(15))

        try await GatewayHarness.with { harness in
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            #expect(try await eventually(within: .seconds(10)) {
                (try? await worker.server.get("/readyz").status) == 200
            })
            #expect(Self.value(of: "portcullis_ready", in: try await worker.server.get("/metrics").body) == 1)
            #expect(Self.value(of: "portcullis_ready", in: try await harness.controlPlane.server.get("/metrics").body) == 1)
        }
    }

    /// Appends set `portcullis_audit_spool_bytes`; without traffic afterwards, only the shipper
    /// can bring it back to 0, or the spool-backlog alert would fire on a drained spool.
    @Test func theSpoolBytesGaugeFallsToZeroOnceEverySpooledEventIsShipped() async throws {
        try await Self.withAllowingWorker { harness, worker, grant in
            for id in 1...3 {
                #expect(try await worker.post(toolCall(id, "echo"), grant: grant).response(id: id)?["result"] != nil)
            }
            #expect(try await eventually(within: .seconds(20)) {
                let body = (try? await worker.server.get("/metrics").body) ?? ""
                return Self.value(of: "portcullis_audit_spool_bytes", in: body) == 0
            })
            let stored = try await harness.database.query("""
                SELECT count(DISTINCT jsonrpc_id) AS calls FROM audit_events
                WHERE grant_id = \(grant.id) AND kind = 'request' AND method = 'tools/call'
                """).first?.decode("calls", as: Int.self)
            #expect(stored == 3)
        }
    }

    /// Names of the series a /metrics body holds (`name{labels} value` or `name value`).
    static func seriesNames(_ exposition: String) -> Set<String> {
        Set(exposition.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            line.split(whereSeparator: { $0 == "{" || $0 == " " }).first.map(String.init)
        })
    }

    /// Every name of our metrics in `text`: ours (`portcullis_`) and Hummingbird's (`hb_`, `http_server_`).
    static func metricNames(in text: String) throws -> Set<String> {
        let pattern = try Regex(#"\b(?:portcullis|hb|http_server)_[a-z_]+"#)
        return Set(text.matches(of: pattern).map { String(text[$0.range]) })
    }

    /// The value of an unlabelled series.
    static func value(of name: String, in exposition: String) -> Double? {
        exposition.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }
}
