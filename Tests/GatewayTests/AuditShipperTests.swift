import Foundation
import Logging
import Shared
import TestSupport
import Testing
@testable import Gateway
import JSON

/// The spool shipped into a real PostgreSQL: rows, chains, restarts, outages.
@Suite(.timeLimit(.minutes(2)))
struct AuditShipperTests {
    let account = UUID()

    @Test func shippedEventsAreStoredExactlyAndTheirChainVerifies() async throws {
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
                // One event of a past month: its partition is created by the shipper.
                let events = (0..<150).map { AuditEvent.sample(account: account, index: $0, monthsAgo: $0 == 0 ? 2 : 0) }
                try await spool.append(events)
                #expect(try await makeShipper(spool, database).shipPending() == 150)

                let chain = try await StoredChain.read(account: account, from: database)
                #expect(chain.brokenLink == nil)
                #expect(chain.headSeq == 150)
                let expected = events.enumerated().map { index, event in
                    var chained = event
                    chained.seq = Int64(index + 1)
                    return chained
                }
                #expect(chain.events.map(\.id) == expected.map(\.id))
                // Equal in every field, JSON numbers' spelling included: the JSON columns keep the exact text.
                #expect(chain.events == expected)
                #expect(await spool.spooledBytes == 0)
                await spool.close()
            }
        }
    }

    @Test func aRestartedWorkerShipsWhatItsSpoolStillHoldsExactlyOnce() async throws {
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let first = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
                try await first.append((0..<5).map { AuditEvent.sample(account: account, index: $0) })
                try await makeShipper(first, database).shipPending()
                try await first.append((5..<8).map { AuditEvent.sample(account: account, index: $0) })
                await first.close()

                let restarted = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
                #expect(try await makeShipper(restarted, database).shipPending() == 3)
                let chain = try await StoredChain.read(account: account, from: database)
                #expect(chain.events.count == 8)
                #expect(chain.brokenLink == nil)
                await restarted.close()
            }
        }
    }

    @Test func eventsShippedAgainAfterALostMarkerGetNoSecondLink() async throws {
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
                try await spool.append((0..<6).map { AuditEvent.sample(account: account, index: $0) })
                await spool.close()
                // The state of a worker that crashed after its commit, before it released the spool.
                let copy = folder + "-copy"
                try FileManager.default.copyItem(atPath: folder, toPath: copy)
                defer { try? FileManager.default.removeItem(atPath: copy) }

                let shipping = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
                try await makeShipper(shipping, database).shipPending()
                await shipping.close()
                let crashed = try await AuditSpool.open(path: copy, sizeLimit: 1 << 20)
                try await crashed.append([AuditEvent.sample(account: account, index: 6)])
                #expect(try await makeShipper(crashed, database).shipPending() == 7)
                await crashed.close()

                let chain = try await StoredChain.read(account: account, from: database)
                #expect(chain.events.count == 7)
                #expect(chain.headSeq == 7)
                #expect(chain.brokenLink == nil)
            }
        }
    }

    @Test func withPostgreSQLUnreachableEventsWaitInTheSpoolAndShipLater() async throws {
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
                let events = (0..<4).map { AuditEvent.sample(account: account, index: $0) }
                try await spool.append(events)
                let unreachable = Database(conninfo: "host=/nonexistent/portcullis-socket dbname=none connect_timeout=1",
                                           poolSize: 1, logger: Logger(label: "unreachable"))
                await #expect(throws: DatabaseError.self) { try await makeShipper(spool, unreachable).shipPending() }
                await unreachable.close()
                #expect(await spool.spooledBytes > 0)

                // The service keeps retrying on its own once it has a database that answers.
                let shipper = makeShipper(spool, database)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await shipper.run() }
                    while try await StoredChain.read(account: account, from: database).events.count < events.count {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    group.cancelAll()
                }
                let chain = try await StoredChain.read(account: account, from: database)
                #expect(chain.events.map(\.id) == events.map(\.id))
                #expect(chain.brokenLink == nil)
                await spool.close()
            }
        }
    }

    @Test func twentyConcurrentAppendersAreShippedInEachCallersOrderWithIntactChains() async throws {
        let accounts = [UUID(), UUID()]
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 16 << 20, segmentSizeLimit: 16_384)
                let shipper = makeShipper(spool, database)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for appender in 0..<20 {
                        group.addTask {
                            for index in 0..<10 {
                                var event = AuditEvent.sample(account: accounts[appender % 2], index: index)
                                event.workerID = "appender-\(appender)"
                                try await spool.append([event])
                            }
                        }
                    }
                    // Shipping runs while the appends go on.
                    group.addTask { try await shipper.shipPending() }
                    try await group.waitForAll()
                }
                try await shipper.shipPending()
                for (accountIndex, account) in accounts.enumerated() {
                    let chain = try await StoredChain.read(account: account, from: database)
                    #expect(chain.events.count == 100)
                    #expect(chain.brokenLink == nil)
                    for appender in stride(from: accountIndex, to: 20, by: 2) {
                        let order = chain.events.filter { $0.workerID == "appender-\(appender)" }.map(\.jsonrpcID)
                        #expect(order == (0..<10).map { .number(JSONNumber(Int64($0))) })
                    }
                }
                await spool.close()
            }
        }
    }

    @Test func twoAccountsGetTwoIndependentChains() async throws {
        let other = UUID()
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
                try await spool.append((0..<6).map { AuditEvent.sample(account: $0 % 2 == 0 ? account : other, index: $0) })
                try await makeShipper(spool, database).shipPending()
                for owner in [account, other] {
                    let chain = try await StoredChain.read(account: owner, from: database)
                    #expect(chain.events.map(\.seq) == [1, 2, 3])
                    #expect(chain.brokenLink == nil)
                }
                await spool.close()
            }
        }
    }
}
