import Foundation
import Shared
import TestSupport
import Testing
@testable import Gateway

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
}
