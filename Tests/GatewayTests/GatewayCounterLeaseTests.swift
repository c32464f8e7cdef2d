import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// Issue 11 item 1 through gateway processes: workers lease counter units in blocks, and the
/// total allowed across them stays exact; a worker stopped gracefully gives its units back; the
/// usage API shows units spent, not units leased.
@Suite(.timeLimit(.minutes(3)))
struct GatewayCounterLeaseTests {
    static func limitedEcho(max: Int) -> JSONValue {
        ["version": "1", "default": "deny", "tools": ["echo": ["limits": [["counter": "echoes", "window": "hour", "max": .number(JSONNumber(max))]]]]]
    }

    static func allowed(_ answer: GatewayWorker.Answer, id: Int) -> Bool {
        answer.response(id: id)?["result"]?["isError"] == false
    }

    @Test func fourWorkersAllowExactlyOneHundredOf400ConcurrentCallsAgainstMax100() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(recordRequests: false))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.limitedEcho(max: 100))
            var workers: [GatewayWorker] = []
            for _ in 0..<4 { workers.append(try await harness.startWorker()) }
            defer { for worker in workers { Task { try? await worker.stop() } } }
            for worker in workers { try await worker.waitForGrant(grant) }
            let fleet = workers
            let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<400 {
                    group.addTask { Self.allowed(try await fleet[index % 4].post(toolCall(index, "echo"), grant: grant), id: index) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(allowed == 100)
            #expect(upstream.callCount(tool: "echo") == 100)
        }
    }

    @Test func aWorkerStoppedGracefullyGivesItsLeasedUnitsToTheOthers() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(recordRequests: false))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.limitedEcho(max: 20))
            let first = try await harness.startWorker()
            try await first.waitForGrant(grant)
            // Leases the call's unit and an eighth of the other 19: 2 more than it spends.
            #expect(Self.allowed(try await first.post(toolCall(1, "echo"), grant: grant), id: 1))
            try await first.stop()
            let second = try await harness.startWorker()
            defer { Task { try? await second.stop() } }
            try await second.waitForGrant(grant)
            var allowed = 0
            for index in 100..<125 {
                if Self.allowed(try await second.post(toolCall(index, "echo"), grant: grant), id: index) { allowed += 1 }
            }
            // 17 if the stopped worker had kept its 2 unspent units.
            #expect(allowed == 19)
        }
    }

    @Test func usageShowsTheUnitsSpentNotTheUnitsLeased() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(recordRequests: false))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.limitedEcho(max: 100))
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)
            for index in 0..<3 { #expect(Self.allowed(try await worker.post(toolCall(index, "echo"), grant: grant), id: index)) }
            // The worker reports its spending about once a second; the first lease held 13 units.
            var counts: [Double] = []
            let deadline = ContinuousClock.now + .seconds(20)
            while counts.last != 3, ContinuousClock.now < deadline {
                let usage = try await harness.admin(.GET, "/v1/usage?grant=\(grant.id.uuidString.lowercased())")
                counts.append(usage.body["items"]?.arrayValue?.first?["count"]?.numberValue?.doubleValue ?? 0)
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(counts.last == 3)
            #expect(counts.allSatisfy { $0 <= 3 })
        }
    }

    @Test func aFailOpenLimitLetThroughUnenforcedIsNotGivenBackWhenTheUpstreamFails() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(recordRequests: false))
            defer { Task { await upstream.stop() } }
            let counted: JSONValue = ["counter": "calls", "window": "hour", "max": 100, "fail": "open"]
            let byArgument: JSONValue = ["counter": "calls", "window": "hour", "max": 100, "fail": "open", "increment_from": "args.n"]
            let grant = try await harness.grant(on: upstream, policy: [
                "version": "1", "default": "deny", "tools": ["echo": ["limits": [counted]], "fail_http": ["limits": [byArgument]]],
            ])
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)
            // The worker now holds 12 more units of "calls".
            #expect(Self.allowed(try await worker.post(toolCall(1, "echo"), grant: grant), id: 1))
            try await DatabaseOutage.begin(conninfo: harness.conninfo)
            // 50 is more than the block holds: let through unenforced, then failed upstream (HTTP 500).
            // Nothing was counted, so nothing may go back into the block.
            _ = try await worker.post(toolCall(2, "fail_http", ["n": 50]), grant: grant)
            // 40 is more than the 12 held: it needs the database too, and is let through unenforced
            // (served from the block, it would be counted as if 50 units had been leased).
            _ = try await worker.post(toolCall(3, "fail_http", ["n": 40]), grant: grant)
            let metrics = try await worker.server.get("/metrics").body
            try await DatabaseOutage.end(conninfo: harness.conninfo)
            let storeErrors = metrics.split(separator: "\n").first { $0.hasPrefix("portcullis_counter_store_errors_total ") }
            #expect(storeErrors?.split(separator: " ").last.flatMap { Double($0) } == 2)
        }
    }
}
