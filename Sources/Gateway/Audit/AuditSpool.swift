import NIOPosix
import Shared

/// The worker's local audit spool (SPEC 7): events are appended here, durably, before an allowed
/// call is forwarded or a denial answered; `AuditShipper` moves them to PostgreSQL and releases
/// what is committed.
///
/// Appends go to the newest segment file as framed records (`AuditSpoolRecord`). Concurrent appends
/// share one `write` + `fdatasync` (group commit): while one caller syncs, others queue their bytes,
/// and the next caller to lead writes the whole queue at once. One process owns the folder (an
/// exclusive `flock`, issue 10 item 6); each start appends to a new segment, so a record torn by a
/// crash is only ever at the end of an older segment, where readers stop. All file I/O runs on a
/// thread pool, never on the cooperative pool.
actor AuditSpool {
    /// Events read back in spool order, and where the next read starts.
    struct Batch: Sendable {
        let events: [AuditEvent]
        let end: AuditSpoolPosition
    }

    private let directory: AuditSpoolDirectory
    private let sizeLimit: Int
    private let segmentSizeLimit: Int
    private let threadPool: NIOThreadPool
    /// Holds the folder's lock while the spool is open.
    private var lockDescriptor: Int32

    /// Every segment on disk with its size; for the segment being appended to, only synced bytes.
    private var segmentSizes: [UInt64: Int]
    private var activeSegment: UInt64
    private var activeDescriptor: Int32
    /// The number the next segment gets. It moves on with every attempt, so a number whose file
    /// could not be created (left behind, or refused) is never tried again: one failure to start a
    /// segment fails one write, not every write after it (issue 10 item 6).
    private var nextSegment: UInt64
    /// A failed write may have left part of a record in the active segment: append to a new one.
    private var activeSegmentDamaged = false
    private var queuedBytes: [UInt8] = []
    /// Callers whose bytes are in `queuedBytes`; resumed with `true` to lead the next write.
    private var queuedWriters: [CheckedContinuation<Bool, any Error>] = []
    private var isWriting = false
    /// Where the shipped part of the spool ends: everything before it is committed in PostgreSQL.
    private(set) var shippedPosition: AuditSpoolPosition

    /// Bytes the spool holds on disk or about to write; appends that would pass `sizeLimit` fail.
    var spooledBytes: Int { segmentSizes.values.reduce(0, +) + queuedBytes.count }

    /// Opens (or creates) the spool in `path`, locks it for this process (`AuditSpoolError.inUse` if
    /// another one holds it) and starts a new segment for this process's appends.
    /// - Parameters:
    ///   - sizeLimit: bytes of unshipped events beyond which `append` throws `spoolFull`.
    ///   - segmentSizeLimit: a segment this large is closed and a new one started, so shipped
    ///     events can be deleted while appends continue.
    static func open(
        path: String, sizeLimit: Int, segmentSizeLimit: Int = 8 << 20, threadPool: NIOThreadPool = .singleton
    ) async throws -> AuditSpool {
        let directory = AuditSpoolDirectory(path: path)
        let (lock, sizes, shipped, segment, descriptor) = try await threadPool.runIfActive {
            try directory.create()
            let lock = try directory.lock()
            var sizes = try directory.segmentSizes()
            let shipped = directory.readShippedMarker() ?? AuditSpoolPosition(segment: 0, offset: 0)
            for number in sizes.keys where number < shipped.segment {
                try directory.removeSegment(number)
                sizes[number] = nil
            }
            let segment = max(sizes.keys.max().map { $0 + 1 } ?? 0, shipped.segment + 1)
            let descriptor: Int32
            do {
                descriptor = try directory.createSegment(segment)
            } catch {
                directory.closeDescriptor(lock)
                throw error
            }
            sizes[segment] = 0
            return (lock, sizes, shipped, segment, descriptor)
        }
        return AuditSpool(
            directory: directory, sizeLimit: sizeLimit, segmentSizeLimit: segmentSizeLimit, threadPool: threadPool,
            lockDescriptor: lock, segmentSizes: sizes, shippedPosition: shipped, activeSegment: segment,
            activeDescriptor: descriptor)
    }

    private init(
        directory: AuditSpoolDirectory, sizeLimit: Int, segmentSizeLimit: Int, threadPool: NIOThreadPool, lockDescriptor: Int32,
        segmentSizes: [UInt64: Int], shippedPosition: AuditSpoolPosition, activeSegment: UInt64, activeDescriptor: Int32
    ) {
        self.directory = directory
        self.sizeLimit = sizeLimit
        self.segmentSizeLimit = segmentSizeLimit
        self.threadPool = threadPool
        self.lockDescriptor = lockDescriptor
        self.nextSegment = activeSegment + 1
        self.segmentSizes = segmentSizes
        self.shippedPosition = shippedPosition
        self.activeSegment = activeSegment
        self.activeDescriptor = activeDescriptor
    }

    /// Returns once `events` are on stable storage, in this order and after every event appended
    /// before, with the bytes the spool then holds (for the gauge, without another actor hop).
    /// Throws `AuditSpoolError.spoolFull` (nothing appended) when they do not fit.
    @discardableResult
    func append(_ events: [AuditEvent]) async throws -> Int {
        guard !events.isEmpty else { return spooledBytes }
        var records: [UInt8] = []
        for event in events { AuditSpoolRecord.append(payload: event.spoolPayload(), to: &records) }
        guard spooledBytes + records.count <= sizeLimit else { throw AuditSpoolError.spoolFull }
        queuedBytes += records
        if isWriting {
            let mustLead = try await withCheckedThrowingContinuation { queuedWriters.append($0) }
            guard mustLead else { return spooledBytes }
        } else {
            isWriting = true
        }
        try await writeQueue()
        return spooledBytes
    }

    /// Writes everything queued with one `write` + `fdatasync`, then hands the writer role on.
    private func writeQueue() async throws {
        let bytes = queuedBytes
        let writers = queuedWriters
        queuedBytes = []
        queuedWriters = []
        var failure: (any Error)?
        do {
            if activeSegmentDamaged || segmentSizes[activeSegment, default: 0] >= segmentSizeLimit {
                try await startNewSegment()
            }
            try await threadPool.runIfActive { [directory, activeDescriptor] in
                try directory.appendDurably(bytes, to: activeDescriptor)
            }
            segmentSizes[activeSegment, default: 0] += bytes.count
        } catch {
            activeSegmentDamaged = true
            failure = error
        }
        handOverWriting()
        for writer in writers {
            if let failure { writer.resume(throwing: failure) } else { writer.resume(returning: false) }
        }
        if let failure { throw failure }
    }

    /// The next queued caller writes the queue (its own bytes are in it), or the writer role is free.
    private func handOverWriting() {
        if queuedWriters.isEmpty {
            isWriting = false
        } else {
            queuedWriters.removeFirst().resume(returning: true)
        }
    }

    /// Closes the active segment and appends to a fresh one from now on; only while writing.
    private func startNewSegment() async throws {
        let next = nextSegment
        nextSegment += 1
        let descriptor = try await threadPool.runIfActive { [directory] in try directory.createSegment(next) }
        directory.closeDescriptor(activeDescriptor)
        activeSegment = next
        activeDescriptor = descriptor
        activeSegmentDamaged = false
        segmentSizes[next] = 0
    }

    /// Up to `maxEvents` synced events from `position` on, skipping the torn end of older segments.
    func readSynced(from position: AuditSpoolPosition, maxEvents: Int) async throws -> Batch {
        var position = position
        while true {
            guard let size = segmentSizes[position.segment] else {
                guard let next = segmentSizes.keys.filter({ $0 > position.segment }).min() else {
                    return Batch(events: [], end: position)
                }
                position = AuditSpoolPosition(segment: next, offset: 0)
                continue
            }
            let available = size - position.offset
            if available >= AuditSpoolRecord.headerSize {
                let (payloads, consumed) = try await readRecords(at: position, available: available, maxEvents: maxEvents)
                if !payloads.isEmpty {
                    let events = try payloads.map(AuditEvent.init(spoolPayload:))
                    return Batch(events: events, end: AuditSpoolPosition(segment: position.segment, offset: position.offset + consumed))
                }
            }
            // Nothing whole is left here: a closed segment ends (possibly torn), the active one waits.
            guard position.segment != activeSegment,
                  let next = segmentSizes.keys.filter({ $0 > position.segment }).min()
            else { return Batch(events: [], end: position) }
            position = AuditSpoolPosition(segment: next, offset: 0)
        }
    }

    private func readRecords(
        at position: AuditSpoolPosition, available: Int, maxEvents: Int
    ) async throws -> (payloads: [ArraySlice<UInt8>], consumed: Int) {
        // A first read of 1 MiB covers many events; one record larger than that gets a second read.
        for readSize in [min(available, 1 << 20), min(available, AuditSpoolRecord.maxPayloadSize + AuditSpoolRecord.headerSize)] {
            let bytes = try await threadPool.runIfActive { [directory] in
                try directory.read(segment: position.segment, from: position.offset, maxBytes: readSize)
            }
            let decoded = AuditSpoolRecord.decodeRecords(in: bytes[...], maxRecords: maxEvents)
            if !decoded.payloads.isEmpty || readSize == available { return decoded }
        }
        return ([], 0)
    }

    /// Records that everything before `position` is committed in PostgreSQL, so a restart does not
    /// ship it again, and deletes the segments it no longer needs.
    func releaseShipped(upTo position: AuditSpoolPosition) async throws {
        try await threadPool.runIfActive { [directory] in try directory.writeShippedMarker(position) }
        shippedPosition = position
        for number in segmentSizes.keys where number < position.segment {
            try await threadPool.runIfActive { [directory] in try directory.removeSegment(number) }
            segmentSizes[number] = nil
        }
        // A fully shipped active segment is swapped for an empty one so its bytes leave the disk
        // (and the size limit) even if no later append fills it up.
        if position.segment == activeSegment, position.offset == segmentSizes[activeSegment], position.offset > 0, !isWriting {
            isWriting = true
            defer { handOverWriting() }
            let shippedSegment = activeSegment
            try await startNewSegment()
            try await threadPool.runIfActive { [directory] in try directory.removeSegment(shippedSegment) }
            segmentSizes[shippedSegment] = nil
        }
    }

    /// Closes the active segment and releases the folder's lock; the spool must not be used afterwards.
    func close() {
        directory.closeDescriptor(activeDescriptor)
        activeDescriptor = -1
        directory.closeDescriptor(lockDescriptor)
        lockDescriptor = -1
    }
}
