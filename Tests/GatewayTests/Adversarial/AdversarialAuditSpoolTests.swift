import Foundation
import Shared
import TestSupport
import Testing
@testable import Gateway
import JSON

/// Issue 10 item 6: one owner per spool folder, no folder that depends on the working directory,
/// and no failure that leaves the spool refusing every append after it.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialAuditSpoolTests {
    let account = UUID()

    @Test func aSecondSpoolOnTheSameFolderIsRefusedUntilTheFirstCloses() async throws {
        try await withSpoolFolder { folder in
            let first = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
            await #expect(throws: AuditSpoolError.inUse(path: folder)) { try await AuditSpool.open(path: folder, sizeLimit: 1 << 20) }
            await first.close()
            let second = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
            await second.close()
        }
    }

    @Test func aSecondWorkerOnTheSameSpoolFolderRefusesToStartWithAClearMessage() async throws {
        let arguments = ["--counters", "memory"] + GatewayHarness.standaloneArguments()
        let first = try await RunningServer.start("gateway", arguments)
        defer {
            first.process.signal(SIGKILL)
            first.process.removeOutput()
        }
        let error = await #expect(throws: ChildProcessError.self) { try await RunningServer.start("gateway", arguments) }
        #expect(error.map { "\($0)".contains("exited during start-up") && "\($0)".contains("is in use by another process") } == true)
    }

    @Test func theDefaultSpoolFolderIsAbsolute() {
        #expect(GatewayOptions.defaultAuditSpoolDir.hasPrefix("/"))
    }

    @Test func aSegmentThatCannotBeStartedFailsOneAppendNotEveryAppendAfter() async throws {
        try await withSpoolFolder { folder in
            let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20, segmentSizeLimit: 1)
            try await spool.append([AuditEvent.sample(account: account, index: 0)])
            // The segment the next append starts cannot be created: a file of that name was left behind.
            let segments = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("segment-") }
            let active = try #require(segments.compactMap { UInt64($0.dropFirst("segment-".count).dropLast(".log".count)) }.max())
            FileManager.default.createFile(atPath: AuditSpoolDirectory(path: folder).segmentPath(active + 1), contents: Data())

            await #expect(throws: AuditSpoolError.self) { try await spool.append([AuditEvent.sample(account: account, index: 1)]) }
            for index in 2..<5 { try await spool.append([AuditEvent.sample(account: account, index: index)]) }
            var read: [AuditEvent] = []
            var position = await spool.shippedPosition
            while true {
                let batch = try await spool.readSynced(from: position, maxEvents: 10)
                guard !batch.events.isEmpty else { break }
                read += batch.events
                position = batch.end
            }
            #expect(read.map(\.jsonrpcID) == [0, 2, 3, 4].map { .number(JSONNumber(Int64($0))) })
            await spool.close()
        }
    }

    /// design.md §7: a spool at its size limit refuses calls with 503 rather than drop their events, and
    /// takes calls again once the shipper has made room (issue 10 left this without a test).
    @Test func aFullSpoolAnswers503UntilTheShipperMakesRoom() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: ["version": "1", "default": "allow"])
            let worker = try await harness.startWorker(arguments: ["--audit-spool-max-bytes", "4096"])
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            // PostgreSQL away: nothing ships, so the spool fills up with the calls' events.
            try await DatabaseOutage.begin(conninfo: harness.conninfo)
            var answered: [Int] = []
            var refusal: GatewayWorker.Answer?
            for id in 1...200 {
                let answer = try await worker.post(toolCall(id, "echo"), grant: grant)
                guard answer.status == 200 else {
                    refusal = answer
                    break
                }
                answered.append(id)
            }
            let full = try #require(refusal, "the spool never filled")
            #expect(full.status == 503)
            #expect(full.headers.first(name: "retry-after") == "5")
            #expect(full.json?["error"]?["code"] == -32603)
            #expect(!answered.isEmpty)
            let callsBeforeRecovery = upstream.callCount(tool: "echo")
            #expect(callsBeforeRecovery == answered.count, "a refused call never reaches the upstream")

            try await DatabaseOutage.end(conninfo: harness.conninfo)
            #expect(try await eventually(within: .seconds(30)) {
                (try? await worker.post(toolCall(1_000, "echo"), grant: grant).status) == 200
            })
            // Every call answered while the spool was filling has its row.
            #expect(try await eventually(within: .seconds(20)) {
                let rows = (try? await harness.database.query("""
                    SELECT jsonrpc_id::jsonb AS jsonrpc_id FROM audit_events WHERE grant_id = \(grant.id) AND kind = 'request' AND method = 'tools/call'
                    """)) ?? []
                let recorded = Set(rows.compactMap { try? $0.decode("jsonrpc_id", as: JSONValue.self).numberValue?.int64Value }.map(Int.init))
                return Set(answered).isSubset(of: recorded)
            })
        }
    }
}
