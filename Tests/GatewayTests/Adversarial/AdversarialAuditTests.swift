import Foundation
import Logging
import Shared
import TestSupport
import Testing
@testable import Gateway
import JSON

/// Issue 10 items 1 and 2: whatever an agent sends is stored and chained, and an event PostgreSQL
/// still refuses never blocks the events behind it.
@Suite(.timeLimit(.minutes(3)))
struct AdversarialAuditTests {
    let account = UUID()

    /// Every value the strict parser accepts that PostgreSQL's text, jsonb or numeric cannot hold.
    static func hostileEvent(account: UUID, index: Int) throws -> AuditEvent {
        var event = AuditEvent.sample(account: account, index: index)
        event.method = "tools/\u{0}call"
        event.tool = "evil\u{0}tool\\0"
        event.identityLabel = "nul\u{0}label"
        event.message = "Unknown tool: evil\u{0}tool"
        event.rule = "/tools/evil\u{0}tool"
        event.argumentKeys = ["a\u{0}b", "back\\slash"]
        event.jsonrpcID = try JSONValue.parse(#"1e200000"#)
        event.arguments = try JSONValue.parse(#"{"k\u0000ey":"v\u0000alue","tiny":1e-20000,"huge":1e2000000000,"n":[1.50,-0]}"#)
        event.result = try JSONValue.parse(#"{"text":"\u0000","id":"\u0000"}"#)
        return event
    }

    @Test func hostileValuesAreStoredExactlyAndTheirChainVerifies() async throws {
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
                var events = try (0..<3).map { try Self.hostileEvent(account: account, index: $0) }
                events[1].jsonrpcID = .string("id\u{0}with nul")
                try await spool.append(events)
                #expect(try await makeShipper(spool, database).shipPending() == 3)
                #expect(await spool.spooledBytes == 0)

                let chain = try await StoredChain.read(account: account, from: database)
                #expect(chain.brokenLink == nil)
                #expect(chain.headSeq == 3)
                // Read back equal in every field, numbers and NULs included: what was hashed is what is stored.
                #expect(chain.events == events.enumerated().map { index, event in
                    var chained = event
                    chained.seq = Int64(index + 1)
                    return chained
                })
                await spool.close()
            }
        }
    }

    @Test func aRefusedEventIsDeadLetteredAndTheEventsBehindItShip() async throws {
        let other = UUID()
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
                var refused = AuditEvent.sample(account: account, index: 1)
                // upstream_status is an integer column: PostgreSQL refuses the row (22003), whatever is retried.
                refused.upstreamStatus = Int(Int32.max) + 1
                let events = [AuditEvent.sample(account: account, index: 0), refused, AuditEvent.sample(account: account, index: 2),
                              AuditEvent.sample(account: other, index: 3)]
                try await spool.append(events)
                let shipper = makeShipper(spool, database)
                #expect(try await shipper.shipPending() == 4)
                #expect(await spool.spooledBytes == 0)

                let chain = try await StoredChain.read(account: account, from: database)
                #expect(chain.events.map(\.id) == [events[0].id, events[2].id])
                #expect(chain.brokenLink == nil)
                #expect(try await StoredChain.read(account: other, from: database).events.map(\.id) == [events[3].id])

                let letters = try await database.query("SELECT id, account_id, payload, error FROM audit_dead_letters")
                #expect(letters.count == 1)
                let letter = try #require(letters.first)
                #expect(try letter.decode("id", as: UUID.self) == refused.id)
                #expect(try letter.decode("account_id", as: UUID.self) == account)
                #expect(try letter.decode("error", as: String.self).contains("22003"))
                // The dead letter holds the whole event, so nothing is lost.
                let payload = try letter.decode("payload", as: String.self)
                #expect(try AuditEvent(spoolPayload: ArraySlice(payload.utf8)) == refused)
                await spool.close()
            }
        }
    }

    /// Issue 11 item 3: a batch is one COPY, so one refused event fails the whole batch; the
    /// shipper halves it until the event stands alone, instead of one transaction per event.
    @Test func aRefusedEventInTheMiddleOfABigBatchIsTheOnlyDeadLetter() async throws {
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 16 << 20)
                var events = (0..<301).map { AuditEvent.sample(account: account, index: $0) }
                events[150].upstreamStatus = Int(Int32.max) + 1
                try await spool.append(events)
                #expect(try await makeShipper(spool, database, batchSize: 1_000).shipPending() == 301)

                let chain = try await StoredChain.read(account: account, from: database)
                #expect(chain.events.map(\.id) == events.enumerated().filter { $0.offset != 150 }.map(\.element.id))
                #expect(chain.headSeq == 300)
                #expect(chain.brokenLink == nil)
                let letters = try await database.query("SELECT id, error FROM audit_dead_letters")
                #expect(try letters.map { try $0.decode("id", as: UUID.self) } == [events[150].id])
                #expect(try letters.first?.decode("error", as: String.self).contains("22003") == true)
                // Halving finds the event in about 2·log2(301) transactions; one per event would be 300.
                #expect(try await auditTransactions(of: account, in: database) <= 18)
                await spool.close()
            }
        }
    }

    /// The wedge of issue 10 as reported against `make demo`: one `tools/call` whose tool name
    /// holds `\u0000`, answered -32602, used to leave the shipper failing forever.
    @Test func nulInToolNameIsStoredAndLaterEventsShip() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(tools: [FakeMCPUpstream.tool("echo")]))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: ["version": "1", "default": "allow"])
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            let hostile = try await worker.post(toolCall(1, "ec\u{0}ho"), grant: grant)
            #expect(hostile.status == 200)
            let later = try await worker.post(toolCall(2, "echo"), grant: grant)
            #expect(later.response(id: 2)?["result"]?["isError"] == false)

            #expect(try await eventually(within: .seconds(20)) {
                let rows = (try? await harness.database.query("""
                    SELECT jsonrpc_id FROM audit_events WHERE grant_id = \(grant.id) AND kind = 'request' AND method = 'tools/call'
                    """)) ?? []
                return Set(rows.compactMap { try? $0.decode("jsonrpc_id", as: String?.self) }) == ["1", "2"]
            })
            #expect(try await harness.database.query("SELECT 1 FROM audit_dead_letters").isEmpty)
        }
    }
}
