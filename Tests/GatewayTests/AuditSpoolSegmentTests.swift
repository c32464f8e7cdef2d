import Foundation
import Shared
import Testing
@testable import Gateway

/// Issue 11 item 2: the spool's segments (versioned, preallocated, old ones still shipped) and
/// what an append waits for in each durability.
@Suite(.timeLimit(.minutes(1)))
struct AuditSpoolSegmentTests {
    let account = UUID()

    @Test func segmentsOfTheJSONFormatAnOlderGatewayLeftAreReadBeforeTheNewOnes() async throws {
        try await withSpoolFolder { folder in
            let old = (0..<3).map { AuditEvent.sample(account: account, index: $0) }
            var bytes: [UInt8] = []
            for event in old { AuditSpoolRecord.append(payload: event.spoolPayload(), format: .json, to: &bytes) }
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: AuditSpoolDirectory(path: folder).segmentPath(1), contents: Data(bytes))

            let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
            let new = (3..<5).map { AuditEvent.sample(account: account, index: $0) }
            try await spool.append(new)
            #expect(try await readAll(spool) == old + new)
            await spool.close()
        }
    }

    @Test func aSegmentOfAFormatVersionThisGatewayDoesNotKnowIsRefusedAndKept() async throws {
        try await withSpoolFolder { folder in
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var bytes = AuditSpoolFormat.magic + [9]
            AuditSpoolRecord.append(payload: AuditEvent.sample(account: account, index: 0).binarySpoolPayload(), to: &bytes)
            let path = AuditSpoolDirectory(path: folder).segmentPath(1)
            FileManager.default.createFile(atPath: path, contents: Data(bytes))

            let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
            await #expect(throws: AuditSpoolError.unknownSegmentFormat(version: 9)) {
                try await spool.readSynced(from: spool.shippedPosition, maxEvents: 10)
            }
            #expect("\(AuditSpoolError.unknownSegmentFormat(version: 9))".contains("format version 9"))
            #expect(FileManager.default.contents(atPath: path) == Data(bytes))
            #expect(await spool.spooledBytes >= bytes.count)
            await spool.close()
        }
    }

    @Test func aSegmentIsPreallocatedAndCutToItsRecordsWhenClosed() async throws {
        try await withSpoolFolder { folder in
            let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20, segmentSizeLimit: 64 << 10)
            try await spool.append([AuditEvent.sample(account: account, index: 0)])
            let path = try #require(try segmentPaths(in: folder).first)
            #expect(try fileSize(path) == 64 << 10)
            await spool.close()
            let bytes = try #require(FileManager.default.contents(atPath: path))
            #expect(Array(bytes.prefix(AuditSpoolFormat.headerSize)) == AuditSpoolFormat.current.header)
            let records = AuditSpoolRecord.decodeRecords(in: Array(bytes.dropFirst(AuditSpoolFormat.headerSize))[...])
            #expect(records.payloads.count == 1)
            #expect(bytes.count == AuditSpoolFormat.headerSize + records.consumed)
        }
    }

    @Test func theZeroFilledRestOfASegmentACrashLeftPreallocatedEndsItsReading() async throws {
        try await withSpoolFolder { folder in
            let events = (0..<4).map { AuditEvent.sample(account: account, index: $0) }
            let running = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20, segmentSizeLimit: 64 << 10)
            try await running.append(events)
            // What a kill -9 leaves: the segment as written, still at its preallocated size.
            let crashed = folder + "-crashed"
            defer { try? FileManager.default.removeItem(atPath: crashed) }
            try FileManager.default.createDirectory(atPath: crashed, withIntermediateDirectories: true)
            let segment = try #require(try segmentPaths(in: folder).first)
            try FileManager.default.copyItem(atPath: segment, toPath: crashed + "/" + (segment as NSString).lastPathComponent)
            await running.close()

            let restarted = try await AuditSpool.open(path: crashed, sizeLimit: 1 << 20)
            let later = AuditEvent.sample(account: account, index: 4)
            try await restarted.append([later])
            #expect(try await readAll(restarted) == events + [later])
            await restarted.close()
        }
    }

    @Test func appendsRollOverToANewSegmentAndAreReadAcrossSegmentsInOrder() async throws {
        try await withSpoolFolder { folder in
            let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20, segmentSizeLimit: 1_500)
            let events = (0..<12).map { AuditEvent.sample(account: account, index: $0) }
            for event in events { try await spool.append([event]) }
            #expect(try segmentPaths(in: folder).count > 2)
            #expect(try await readAll(spool) == events)
            await spool.close()
        }
    }

    @Test func inMachineDurabilityAnAppendReturnsOnlyOnceItsBytesAreSynced() async throws {
        try await withSpoolFolder { folder in
            let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20, durability: .machine, syncInterval: .seconds(3600))
            for index in 0..<5 {
                try await spool.append([AuditEvent.sample(account: account, index: index)])
                let progress = spool.progress
                #expect(progress.written > 0 && progress.synced == progress.written)
            }
            await spool.close()
        }
    }

    @Test func inProcessDurabilityAnAppendReturnsWrittenAndTheSyncFollowsInTheBackground() async throws {
        try await withSpoolFolder { folder in
            let unsynced = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20, durability: .process, syncInterval: .seconds(3600))
            try await unsynced.append([AuditEvent.sample(account: account, index: 0)])
            #expect(unsynced.progress.written > 0 && unsynced.progress.synced == 0)
            // Readable (by the shipper, or a restarted worker) before any sync.
            #expect(try await unsynced.readSynced(from: unsynced.shippedPosition, maxEvents: 10).events.count == 1)
            await unsynced.close()
            #expect(unsynced.progress.synced == unsynced.progress.written)

            let synced = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20, durability: .process, syncInterval: .milliseconds(1))
            try await synced.append([AuditEvent.sample(account: account, index: 1)])
            while synced.progress.synced < synced.progress.written { try await Task.sleep(for: .milliseconds(1)) }
            await synced.close()
        }
    }

    /// Issue 11 (CPU per call): a `process` append that finds the writer idle and nothing queued
    /// writes its own records, without a hand-off to the writer thread and back; a `machine` append
    /// always goes through the writer and the sync thread.
    @Test func inProcessDurabilityAnAppendThatFindsTheWriterIdleIsWrittenByItsCaller() async throws {
        try await withSpoolFolder { folder in
            let process = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20, durability: .process)
            for index in 0..<5 { try await process.append([AuditEvent.sample(account: account, index: index)]) }
            #expect(process.progress.written > 0 && process.progress.writtenByAppenders == process.progress.written)
            #expect(try await readAll(process).count == 5)
            await process.close()

            let machine = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20, durability: .machine)
            try await machine.append([AuditEvent.sample(account: account, index: 5)])
            #expect(machine.progress.written > 0 && machine.progress.writtenByAppenders == 0)
            await machine.close()
        }
    }

    @Test func anEventAppendedWithoutWaitingIsWrittenByCloseAndLaterAppendsAreRefused() async throws {
        try await withSpoolFolder { folder in
            let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
            let response = AuditEvent.sample(account: account, index: 0)
            try spool.appendWithoutWaiting([response])
            await spool.close()
            #expect(throws: AuditSpoolError.closed) { try spool.appendWithoutWaiting([response]) }
            await #expect(throws: AuditSpoolError.closed) { try await spool.append([response]) }

            let reopened = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
            #expect(try await readAll(reopened) == [response])
            await reopened.close()
        }
    }

    private func readAll(_ spool: AuditSpool) async throws -> [AuditEvent] {
        var read: [AuditEvent] = []
        var position = await spool.shippedPosition
        while true {
            let batch = try await spool.readSynced(from: position, maxEvents: 3)
            if batch.events.isEmpty { return read }
            read += batch.events
            position = batch.end
        }
    }

    private func segmentPaths(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("segment-") }.sorted().map { "\(folder)/\($0)" }
    }

    private func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
    }
}
