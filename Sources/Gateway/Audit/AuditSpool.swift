import Logging
import NIOPosix
import Shared

/// The worker's local audit spool (design.md §7): events are appended here before an allowed call is
/// forwarded or a denial answered; `AuditShipper` moves them to PostgreSQL and releases what is
/// committed.
///
/// Appends go through `AuditSpoolWriter` (a queue and dedicated threads, issue 11 item 2) to the
/// newest segment file as framed binary records (`AuditSpoolRecord`, `AuditSpoolFormat`). How long
/// an append waits is the spool's `AuditDurability`. One process owns the folder (an exclusive
/// `flock`, issue 10 item 6); each start appends to a new segment, so a record torn by a crash is
/// only ever at the end of an older segment, where readers stop. The shipper's side (reading,
/// releasing) runs its file I/O on a thread pool, never on the cooperative pool.
actor AuditSpool {
    /// Events read back in spool order, and where the next read starts.
    struct Batch: Sendable {
        let events: [AuditEvent]
        let end: AuditSpoolPosition
    }

    private let directory: AuditSpoolDirectory
    private let writer: AuditSpoolWriter
    /// What an awaited append waits for.
    nonisolated let durability: AuditDurability
    private let threadPool: NIOThreadPool
    /// Holds the folder's lock while the spool is open.
    private var lockDescriptor: Int32
    /// The formats of the segments read so far (segments an older gateway left may be `json`).
    private var formats: [UInt64: AuditSpoolFormat] = [:]
    /// Where the shipped part of the spool ends: everything before it is committed in PostgreSQL.
    private(set) var shippedPosition: AuditSpoolPosition

    /// Bytes of unshipped events the spool holds or is about to write; appends that would pass
    /// `sizeLimit` fail.
    var spooledBytes: Int { writer.spooledBytes }

    /// Bytes appended but not yet written, which `readSynced` cannot return yet.
    nonisolated var queuedBytes: Int { writer.queuedBytes }

    /// Bytes written by this process, how many of them are synced, and how many their appenders wrote.
    nonisolated var progress: (written: Int, synced: Int, writtenByAppenders: Int) { writer.progress }

    /// Opens (or creates) the spool in `path`, locks it for this process (`AuditSpoolError.inUse` if
    /// another one holds it) and starts a new segment for this process's appends.
    /// - Parameters:
    ///   - sizeLimit: bytes of unshipped events beyond which `append` throws `spoolFull`.
    ///   - segmentSizeLimit: a segment this large is closed and a new one started, so shipped
    ///     events can be deleted while appends continue; each segment is preallocated this large.
    ///   - durability: what `append` waits for (`--audit-durability`).
    ///   - syncInterval: at most this long after a write, the written bytes are synced (`--audit-sync-interval`).
    static func open(
        path: String, sizeLimit: Int, segmentSizeLimit: Int = 8 << 20, durability: AuditDurability = .process,
        syncInterval: Duration = .milliseconds(10), threadPool: NIOThreadPool = .singleton,
        logger: Logger = Logger(label: "portcullis.audit-spool")
    ) async throws -> AuditSpool {
        let directory = AuditSpoolDirectory(path: path)
        let (lock, sizes, shipped, segment, descriptor) = try await threadPool.runIfActive {
            try directory.create()
            let lock = try directory.lock()
            do {
                var sizes = try directory.segmentSizes()
                let shipped = directory.readShippedMarker() ?? AuditSpoolPosition(segment: 0, offset: 0)
                for number in sizes.keys where number < shipped.segment {
                    try directory.removeSegment(number)
                    sizes[number] = nil
                }
                let segment = max(sizes.keys.max().map { $0 + 1 } ?? 0, shipped.segment + 1)
                let descriptor = try directory.createSegment(segment, preallocating: segmentSizeLimit)
                return (lock, sizes, shipped, segment, descriptor)
            } catch {
                directory.closeDescriptor(lock)
                throw error
            }
        }
        // Segments an earlier process left: their records start at 0 (json) or after the header,
        // which counts as a few unshipped bytes until they are shipped.
        var extents = sizes.mapValues { AuditSpoolWriter.Extent(start: 0, end: $0) }
        let header = AuditSpoolFormat.current.headerSize
        extents[segment] = AuditSpoolWriter.Extent(start: header, end: header)
        let writer = AuditSpoolWriter(
            directory: directory, extents: extents, activeSegment: segment, activeDescriptor: descriptor, shipped: shipped,
            sizeLimit: sizeLimit, segmentSizeLimit: segmentSizeLimit, syncInterval: syncInterval, logger: logger)
        return AuditSpool(
            directory: directory, writer: writer, durability: durability, threadPool: threadPool, lockDescriptor: lock,
            shippedPosition: shipped)
    }

    private init(
        directory: AuditSpoolDirectory, writer: AuditSpoolWriter, durability: AuditDurability, threadPool: NIOThreadPool,
        lockDescriptor: Int32, shippedPosition: AuditSpoolPosition
    ) {
        self.directory = directory
        self.writer = writer
        self.durability = durability
        self.threadPool = threadPool
        self.lockDescriptor = lockDescriptor
        self.shippedPosition = shippedPosition
    }

    /// Returns once `events` are as durable as the spool's `durability` says (`process`: written to
    /// the segment; `machine`: synced to stable storage), in this order and after every event
    /// appended before, with the bytes the spool then holds (for the gauge). Throws
    /// `AuditSpoolError.spoolFull` (nothing appended) when they do not fit. Not isolated to the
    /// actor: the caller frames its records and hands them to the writer's queue directly.
    @discardableResult
    nonisolated func append(_ events: [AuditEvent]) async throws -> Int {
        guard !events.isEmpty else { return writer.spooledBytes }
        return try await writer.append(Self.records(events), wait: durability.appendWaitsFor)
    }

    /// Hands `events` to the writer and returns at once (issue 11 item 2: a `response` row never
    /// delays the answer or the next request). They are written with the next round and synced
    /// within the sync interval; a failed write is retried in a new segment. Throws `spoolFull`.
    @discardableResult
    nonisolated func appendWithoutWaiting(_ events: [AuditEvent]) throws -> Int {
        guard !events.isEmpty else { return writer.spooledBytes }
        return try writer.append(Self.records(events))
    }

    private nonisolated static func records(_ events: [AuditEvent]) -> [UInt8] {
        var records: [UInt8] = []
        for event in events { AuditSpoolRecord.append(payload: event.binarySpoolPayload(), to: &records) }
        return records
    }

    /// Up to `maxEvents` events from `position` on, skipping the torn end of older segments. Every
    /// event written is read (in `process` durability also before its background sync: once
    /// committed in PostgreSQL it no longer depends on the spool's disk).
    func readSynced(from position: AuditSpoolPosition, maxEvents: Int) async throws -> Batch {
        let (extents, active) = writer.segments
        var position = position
        while true {
            guard let extent = extents[position.segment] else {
                guard let next = extents.keys.filter({ $0 > position.segment }).min() else {
                    return Batch(events: [], end: position)
                }
                position = AuditSpoolPosition(segment: next, offset: 0)
                continue
            }
            if let format = try await format(of: position.segment, end: extent.end) {
                position.offset = max(position.offset, format.headerSize)
                let available = extent.end - position.offset
                if available >= AuditSpoolRecord.headerSize {
                    let (payloads, consumed) = try await readRecords(
                        at: position, format: format, available: available, maxEvents: maxEvents)
                    if !payloads.isEmpty {
                        let events = try payloads.map(format.event(from:))
                        return Batch(events: events, end: AuditSpoolPosition(segment: position.segment, offset: position.offset + consumed))
                    }
                }
            }
            // Nothing whole is left here: a closed segment ends (possibly torn), the active one waits.
            guard position.segment != active, let next = extents.keys.filter({ $0 > position.segment }).min()
            else { return Batch(events: [], end: position) }
            position = AuditSpoolPosition(segment: next, offset: 0)
        }
    }

    /// The format of a segment, from its first bytes; nil while it holds too few to tell.
    private func format(of segment: UInt64, end: Int) async throws -> AuditSpoolFormat? {
        if let known = formats[segment] { return known }
        let start = try await threadPool.runIfActive { [directory] in
            try directory.read(segment: segment, from: 0, maxBytes: min(end, AuditSpoolFormat.headerSize))
        }
        let format = try AuditSpoolFormat.of(segmentStart: start[...])
        formats[segment] = format
        return format
    }

    private func readRecords(
        at position: AuditSpoolPosition, format: AuditSpoolFormat, available: Int, maxEvents: Int
    ) async throws -> (payloads: [ArraySlice<UInt8>], consumed: Int) {
        // A first read of 1 MiB covers many events; one record larger than that gets a second read.
        for readSize in [min(available, 1 << 20), min(available, AuditSpoolRecord.maxPayloadSize + AuditSpoolRecord.headerSize)] {
            let bytes = try await threadPool.runIfActive { [directory] in
                try directory.read(segment: position.segment, from: position.offset, maxBytes: readSize)
            }
            let decoded = AuditSpoolRecord.decodeRecords(in: bytes[...], format: format, maxRecords: maxEvents)
            if !decoded.payloads.isEmpty || readSize == available { return decoded }
        }
        return ([], 0)
    }

    /// Records that everything before `position` is committed in PostgreSQL, so a restart does not
    /// ship it again, and deletes the segments it no longer needs. The active segment stays until
    /// it fills up (it is preallocated: deleting it would not give back less than a new one takes);
    /// its shipped bytes no longer count against the size limit.
    func releaseShipped(upTo position: AuditSpoolPosition) async throws {
        try await threadPool.runIfActive { [directory] in try directory.writeShippedMarker(position) }
        shippedPosition = position
        for number in writer.release(upTo: position) {
            try await threadPool.runIfActive { [directory] in try directory.removeSegment(number) }
            formats[number] = nil
        }
    }

    /// Writes what is queued, syncs it, closes the segments and releases the folder's lock; the
    /// spool must not be used afterwards (appends fail with `closed`).
    func close() async {
        await writer.close()
        directory.closeDescriptor(lockDescriptor)
        lockDescriptor = -1
    }
}
