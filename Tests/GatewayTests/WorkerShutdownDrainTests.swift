import Foundation
import Logging
import Shared
import TestSupport
import Testing

/// A worker stopped with SIGTERM stops taking requests but ships its audit spool until it is empty
/// (`--shutdown-drain-timeout`) before it exits: a Kubernetes `emptyDir` spool loses nothing on a
/// rolling update.
@Suite(.timeLimit(.minutes(3)))
struct WorkerShutdownDrainTests {
    @Test func eventsInTheSpoolAtSIGTERMReachPostgreSQLBeforeTheWorkerExits() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(recordRequests: false))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: ["version": "1", "default": "allow"])
            let worker = try await harness.startWorker(arguments: ["--shutdown-drain-timeout", "60"])
            defer { worker.server.process.removeOutput() }
            try await worker.waitForGrant(grant)
            func call(_ ids: Range<Int>) async throws {
                for id in ids { #expect(try await worker.post(toolCall(id, "echo"), grant: grant).response(id: id)?["result"] != nil) }
            }
            func recordedCalls() async throws -> Int {
                try await harness.database.query("""
                    SELECT count(DISTINCT jsonrpc_id) AS calls FROM audit_events
                    WHERE grant_id = \(grant.id) AND kind = 'request' AND method = 'tools/call'
                    """).first?.decode("calls") ?? 0
            }

            // Holding the chain heads stops the shipper at its first batch: the events of the calls
            // made after it has taken that batch are still in the spool when SIGTERM comes.
            let blocker = Database(conninfo: harness.conninfo, poolSize: 1, logger: Logger(label: "blocker"))
            defer { Task { await blocker.close() } }
            try await blocker.transaction { tx in
                try await tx.execute("LOCK TABLE audit_chain_heads IN EXCLUSIVE MODE")
                try await call(0..<5)
                #expect(try await eventually(within: .seconds(20)) {
                    let waiting = try? await harness.database.query("""
                        SELECT count(*) AS waiting FROM pg_stat_activity WHERE usename = 'portcullis_worker' AND wait_event_type = 'Lock'
                        """).first?.decode("waiting", as: Int.self)
                    return (waiting ?? 0) > 0
                })
                try await call(5..<15)
                worker.server.process.signal(SIGTERM)
                // The server stops first: once it refuses connections, only the drain is left.
                #expect(try await eventually(within: .seconds(20)) { (try? await worker.server.get("/healthz")) == nil })
                #expect(try await recordedCalls() == 0)
            }

            let status = try await worker.server.process.waitForExit(timeout: .seconds(60))
            #expect(status == .exited(0))
            #expect(try await recordedCalls() == 15)
        }
    }
}
