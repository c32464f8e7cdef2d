import Foundation
import Logging
import ServiceLifecycle
import Shared
import TestSupport
import Testing
@testable import Gateway

/// A stopping worker keeps shipping its spool (`--shutdown-drain-timeout`): a spool that does not
/// outlive the process, a Kubernetes `emptyDir`, loses nothing on a rolling update.
@Suite(.timeLimit(.minutes(2)))
struct AuditShipperDrainTests {
    let account = UUID()

    @Test func aGracefulStopShipsWhatTheSpoolStillHoldsBeforeTheShipperEnds() async throws {
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 16 << 20)
                let events = (0..<20).map { AuditEvent.sample(account: account, index: $0) }
                try await spool.append(Array(events[..<10]))
                // An hour between rounds: after the first, only the drain can ship the rest.
                let shipper = makeShipper(spool, database, pollInterval: .seconds(3600), drainTimeout: .seconds(60))
                let services = ServiceGroup(configuration: .init(services: [shipper], gracefulShutdownSignals: [], logger: Logger(label: "test")))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await services.run() }
                    #expect(try await eventually(within: .seconds(30)) {
                        (try? await StoredChain.read(account: account, from: database).events.count) == 10
                    })
                    try await spool.append(Array(events[10...]))
                    await services.triggerGracefulShutdown()
                    try await group.waitForAll()
                }
                let chain = try await StoredChain.read(account: account, from: database)
                #expect(chain.events.map(\.id) == events.map(\.id))
                #expect(chain.brokenLink == nil)
                #expect(await spool.spooledBytes == 0)
                await spool.close()
            }
        }
    }

    @Test func aDrainThatCannotReachPostgreSQLEndsAtItsTimeoutAndTheEventsStayInTheSpool() async throws {
        try await withTestDatabase { database, _ in
            try await withSpoolFolder { folder in
                let spool = try await AuditSpool.open(path: folder, sizeLimit: 16 << 20)
                let events = (0..<5).map { AuditEvent.sample(account: account, index: $0) }
                try await spool.append(events)
                let unreachable = Database(conninfo: "host=/nonexistent/portcullis-socket dbname=none connect_timeout=1",
                                           poolSize: 1, logger: Logger(label: "unreachable"))
                let shipper = makeShipper(spool, unreachable, drainTimeout: .milliseconds(500))
                let services = ServiceGroup(configuration: .init(services: [shipper], gracefulShutdownSignals: [], logger: Logger(label: "test")))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await services.run() }
                    await services.triggerGracefulShutdown()
                    try await group.waitForAll()
                }
                await unreachable.close()
                #expect(await spool.spooledBytes > 0)
                await spool.close()

                let reopened = try await AuditSpool.open(path: folder, sizeLimit: 16 << 20)
                #expect(try await makeShipper(reopened, database).shipPending() == events.count)
                await reopened.close()
            }
        }
    }
}
