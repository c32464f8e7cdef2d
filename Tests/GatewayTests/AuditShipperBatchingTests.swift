import Foundation
import Logging
import ServiceLifecycle
import Shared
import TestSupport
import Testing
@testable import Gateway

/// Issue 11 item 3: the shipper ships in batches by size or time, rewrites the shipped marker about
/// once a second, and a crash between its commits and the marker costs nothing but a replay.
@Suite(.timeLimit(.minutes(2)))
struct AuditShipperBatchingTests {
    let account = UUID()

    /// Appends `events` a few at a time, so they spread over several segments of a small spool.
    func appendInChunks(_ events: [AuditEvent], to spool: AuditSpool) async throws {
        for start in stride(from: 0, to: events.count, by: 25) {
            try await spool.append(Array(events[start..<min(start + 25, events.count)]))
        }
    }

    @Test func manyBatchesAcrossSegmentsShipInOrderWithNothingLostOneTransactionPerBatch() async throws {
        let other = UUID()
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 16 << 20, segmentSizeLimit: 16_384)
                let events = (0..<1_000).map { AuditEvent.sample(account: $0 % 2 == 0 ? account : other, index: $0) }
                try await appendInChunks(events, to: spool)
                #expect(try await makeShipper(spool, database, batchSize: 64).shipPending() == 1_000)

                for (owner, parity) in [(account, 0), (other, 1)] {
                    let chain = try await StoredChain.read(account: owner, from: database)
                    #expect(chain.brokenLink == nil)
                    #expect(chain.headSeq == 500)
                    #expect(chain.events.map(\.id) == events.enumerated().filter { $0.offset % 2 == parity }.map(\.element.id))
                    // 1000 events in batches of 64: 16 rounds, one transaction per account in each.
                    #expect(try await auditTransactions(of: owner, in: database) == 16)
                }
                #expect(await spool.spooledBytes == 0)
                await spool.close()
            }
        }
    }

    @Test func aStreamOfAppendsIsShippedOncePerPollIntervalNotPerAppend() async throws {
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 16 << 20)
                let pollInterval = Duration.milliseconds(250)
                let shipper = makeShipper(spool, database, batchSize: 10_000, pollInterval: pollInterval)
                let clock = ContinuousClock()
                let started = clock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await shipper.run() }
                    try await withThrowingTaskGroup(of: Void.self) { appenders in
                        for appender in 0..<10 {
                            appenders.addTask {
                                for index in 0..<20 { try await spool.append([AuditEvent.sample(account: account, index: appender * 20 + index)]) }
                            }
                        }
                        try await appenders.waitForAll()
                    }
                    #expect(try await eventually(within: .seconds(30)) {
                        (try? await StoredChain.read(account: account, from: database).events.count) == 200
                    })
                    group.cancelAll()
                }
                let elapsed = clock.now - started
                // A round that does not fill its batch starts the next one a poll interval after its own
                // start, so there are at most elapsed / interval + 1 rounds, whatever the machine's speed.
                let transactions = try await auditTransactions(of: account, in: database)
                #expect(transactions <= Int(elapsed / pollInterval) + 1)
                #expect(transactions < 200)
                #expect(try await StoredChain.read(account: account, from: database).brokenLink == nil)
                await spool.close()
            }
        }
    }

    @Test func aCrashBetweenCommitAndMarkerShipsTheEventsAgainWithoutASecondRowOrLink() async throws {
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 16 << 20, segmentSizeLimit: 16_384)
                let events = (0..<300).map { AuditEvent.sample(account: account, index: $0) }
                try await appendInChunks(events, to: spool)
                let copy = folder + "-at-crash"
                defer { try? FileManager.default.removeItem(atPath: copy) }

                // Several batches commit while the marker (rewritten once an hour here) stays where it was.
                let shipper = makeShipper(spool, database, batchSize: 64, markerInterval: .seconds(3600))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await shipper.run() }
                    #expect(try await eventually(within: .seconds(30)) {
                        (try? await StoredChain.read(account: account, from: database).events.count) == 300
                    })
                    // The folder as kill -9 would leave it now: every batch committed, the marker not moved.
                    try FileManager.default.copyItem(atPath: folder, toPath: copy)
                    group.cancelAll()
                }
                await spool.close()

                let restarted = try await AuditSpool.open(path: copy, sizeLimit: 16 << 20)
                let later = (300..<305).map { AuditEvent.sample(account: account, index: $0) }
                try await restarted.append(later)
                // Everything is read again; only the 5 new events become rows and links.
                #expect(try await makeShipper(restarted, database).shipPending() == 305)
                await restarted.close()

                let chain = try await StoredChain.read(account: account, from: database)
                #expect(chain.events.map(\.id) == (events + later).map(\.id))
                #expect(chain.headSeq == 305)
                #expect(chain.brokenLink == nil)
            }
        }
    }

    @Test func aGracefulStopRecordsHowFarTheShipperGot() async throws {
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 16 << 20)
                try await spool.append((0..<100).map { AuditEvent.sample(account: account, index: $0) })
                let shipper = makeShipper(spool, database, markerInterval: .seconds(3600))
                let services = ServiceGroup(configuration: .init(services: [shipper], gracefulShutdownSignals: [], logger: Logger(label: "test")))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await services.run() }
                    #expect(try await eventually(within: .seconds(30)) {
                        (try? await StoredChain.read(account: account, from: database).events.count) == 100
                    })
                    await services.triggerGracefulShutdown()
                    try await group.waitForAll()
                }
                await spool.close()

                let reopened = try await AuditSpool.open(path: folder, sizeLimit: 16 << 20)
                #expect(try await makeShipper(reopened, database).shipPending() == 0)
                await reopened.close()
            }
        }
    }
}
