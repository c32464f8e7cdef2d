import Foundation
import Shared
import Testing
@testable import Gateway
import JSON

/// The local spool on its own: durability, order, torn records and the size limit.
@Suite(.timeLimit(.minutes(1)))
struct AuditSpoolTests {
    let account = UUID()

    @Test func appendedEventsReadBackUnchangedAndInOrder() async throws {
        try await withSpoolFolder { folder in
            let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
            let events = (0..<5).map { AuditEvent.sample(account: account, index: $0) }
            try await spool.append(Array(events[..<2]))
            try await spool.append(Array(events[2...]))
            let batch = try await spool.readSynced(from: spool.shippedPosition, maxEvents: 100)
            #expect(batch.events == events)
            let rest = try await spool.readSynced(from: batch.end, maxEvents: 100)
            #expect(rest.events.isEmpty)
            await spool.close()
        }
    }

    @Test func aTornLastRecordIsSkippedAndTheRecordsBeforeItAreKept() async throws {
        try await withSpoolFolder { folder in
            let events = (0..<3).map { AuditEvent.sample(account: account, index: $0) }
            let crashed = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
            try await crashed.append(events)
            await crashed.close()
            // A crash in the middle of the next write: a header announcing 500 bytes, 20 of them there.
            let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasPrefix("segment-") })
            let handle = try #require(FileHandle(forWritingAtPath: "\(folder)/\(segment)"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data([0xF4, 0x01, 0, 0, 1, 2, 3, 4] + Array(repeating: 7, count: 20)))
            try handle.close()

            let restarted = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
            let later = AuditEvent.sample(account: account, index: 3)
            try await restarted.append([later])
            var read: [AuditEvent] = []
            var position = await restarted.shippedPosition
            while true {
                let batch = try await restarted.readSynced(from: position, maxEvents: 2)
                if batch.events.isEmpty { break }
                read += batch.events
                position = batch.end
            }
            #expect(read == events + [later])
            await restarted.close()
        }
    }

    @Test func aFullSpoolRefusesTheAppendWholeAndKeepsWhatItHolds() async throws {
        try await withSpoolFolder { folder in
            let spool = try await AuditSpool.open(path: folder, sizeLimit: 4_000)
            var accepted: [AuditEvent] = []
            var refusal: (any Error)?
            for index in 0..<100 {
                let event = AuditEvent.sample(account: account, index: index)
                do {
                    try await spool.append([event])
                    accepted.append(event)
                } catch {
                    refusal = error
                    break
                }
            }
            #expect(refusal as? AuditSpoolError == .spoolFull)
            #expect(!accepted.isEmpty)
            #expect(await spool.spooledBytes <= 4_000)
            let batch = try await spool.readSynced(from: spool.shippedPosition, maxEvents: 1_000)
            #expect(batch.events == accepted)
            await spool.close()
        }
    }

    @Test func concurrentAppendsAreAllDurableAndEachCallersOrderIsKept() async throws {
        try await withSpoolFolder { folder in
            _ = try await appendConcurrentlyAndCheckEachCallersOrder(in: folder, everyOtherWithoutWaiting: false)
        }
    }

    /// Issue 11 (CPU per call): `process` appends that find the writer idle write themselves, beside
    /// the writer thread writing what was queued (`response` rows, appends that found it busy) and
    /// starting segments: every record stays whole and each caller's order is kept.
    @Test func appendsWrittenByTheirCallersAndByTheWriterThreadStayWholeAndInOrder() async throws {
        try await withSpoolFolder { folder in
            let progress = try await appendConcurrentlyAndCheckEachCallersOrder(in: folder, everyOtherWithoutWaiting: true)
            #expect(progress.writtenByAppenders > 0 && progress.writtenByAppenders < progress.written)
        }
    }

    /// 20 callers append 20 events each, concurrently, into small segments (every other one without
    /// waiting, if asked); a new instance then reads them all, each caller's in its order. Returns
    /// the first instance's progress.
    private func appendConcurrentlyAndCheckEachCallersOrder(
        in folder: String, everyOtherWithoutWaiting: Bool
    ) async throws -> (written: Int, synced: Int, writtenByAppenders: Int) {
        let spool = try await AuditSpool.open(path: folder, sizeLimit: 16 << 20, segmentSizeLimit: 8_192)
        let appenders = 20, eventsPerAppender = 20
        try await withThrowingTaskGroup(of: Void.self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    for index in 0..<eventsPerAppender {
                        var event = AuditEvent.sample(account: account, index: index)
                        event.workerID = "appender-\(appender)"
                        if everyOtherWithoutWaiting && index % 2 == 1 {
                            try spool.appendWithoutWaiting([event])
                        } else {
                            try await spool.append([event])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        await spool.close()
        let progress = spool.progress
        // A new instance reads only what reached the disk.
        let reopened = try await AuditSpool.open(path: folder, sizeLimit: 16 << 20)
        var read: [AuditEvent] = []
        var position = await reopened.shippedPosition
        while true {
            let batch = try await reopened.readSynced(from: position, maxEvents: 50)
            if batch.events.isEmpty { break }
            read += batch.events
            position = batch.end
        }
        #expect(read.count == appenders * eventsPerAppender)
        for appender in 0..<appenders {
            let indexes = read.filter { $0.workerID == "appender-\(appender)" }.map { $0.jsonrpcID }
            #expect(indexes == (0..<eventsPerAppender).map { .number(JSONNumber(Int64($0))) })
        }
        await reopened.close()
        return progress
    }

    @Test func releasingShippedEventsDeletesTheirSegments() async throws {
        try await withSpoolFolder { folder in
            let spool = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20, segmentSizeLimit: 2_000)
            for index in 0..<20 { try await spool.append([AuditEvent.sample(account: account, index: index)]) }
            #expect(try segmentFiles(in: folder).count > 2)
            var position = await spool.shippedPosition
            while true {
                let batch = try await spool.readSynced(from: position, maxEvents: 7)
                if batch.events.isEmpty { break }
                try await spool.releaseShipped(upTo: batch.end)
                position = batch.end
            }
            #expect(try segmentFiles(in: folder).count == 1)
            #expect(await spool.spooledBytes == 0)
            await spool.close()
            let reopened = try await AuditSpool.open(path: folder, sizeLimit: 1 << 20)
            #expect(try await reopened.readSynced(from: reopened.shippedPosition, maxEvents: 10).events.isEmpty)
            await reopened.close()
        }
    }

    private func segmentFiles(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("segment-") }
    }
}
