import Foundation
import Logging

/// The spool's appending side (issue 11 item 2): a queue, one dedicated writer thread and one
/// dedicated sync thread, neither on the cooperative pool nor on the thread pool shared with
/// everything else.
///
/// An appender frames its records on its own thread and queues them. The writer thread takes the
/// whole queue, writes it at the end of the active segment with one `pwrite` and resumes the
/// appenders that wait for `process` durability (the bytes are in the kernel's page cache: a
/// `kill -9` of the worker loses nothing). The sync thread `fdatasync`s the written bytes as soon
/// as an appender waits for `machine` durability (one sync for every appender queued behind it:
/// group commit, and the writer goes on writing meanwhile), and otherwise at most `syncInterval`
/// after a write, which bounds what a machine crash could lose. A segment is preallocated when it
/// starts, so a full disk fails that one start (an append answered 503), never a write half-way.
///
/// A `process` appender that finds the writer idle and nothing queued writes its records itself,
/// with one `pwrite` on its own thread, and returns (issue 11, CPU per call): handing them to the
/// writer thread and waiting to be resumed cost two context switches, a futex wake-up each way and
/// a wake-up of the caller's event loop per call, for a write of a few microseconds to the page
/// cache. Whoever writes (that appender or the writer thread) owns the end of the active segment
/// (`writing`) until its bytes are counted, so records stay whole and in order; appenders that find
/// it owned queue as before, and the writer thread keeps starting segments, retrying failed rows
/// and group commits. docs/gateway.md, "Audit durability", says why this is safe.
///
/// Each thread is woken only when it sleeps and has work (issue 11, CPU per call): the writer
/// waits on `condition` and an append signals it only while it waits; the sync thread waits on
/// `syncWakeup` of its own, and a write wakes it only for a `machine` appender, a retired
/// segment, or the first unsynced bytes after it went idle. A broadcast on every append and every
/// write woke both threads twice per event before, four futex wake-ups per call and as many waits.
final class AuditSpoolWriter: @unchecked Sendable {
    // @unchecked: every stored var is in `state`, read and written only with `condition` locked.

    /// What the appender waits for.
    enum Wait {
        case written, synced
    }

    private struct Append {
        var bytes: [UInt8]
        var wait: Wait?
        var waiter: CheckedContinuation<Void, any Error>?
    }

    /// Where a segment's records start and end.
    struct Extent: Sendable {
        var start: Int
        var end: Int
    }

    private struct State {
        var queue: [Append] = []
        var queuedBytes = 0
        /// Appenders whose bytes are written, waiting for the sync that covers `target`.
        var syncWaiters: [(target: Int, waiter: CheckedContinuation<Void, any Error>)] = []
        var extents: [UInt64: Extent]
        var active: UInt64
        var activeDescriptor: Int32
        /// Descriptors of segments the writer moved on from: the sync thread syncs and closes them.
        var retired: [Int32] = []
        /// The number the next segment gets; it moves on with every attempt, so a number whose file
        /// could not be created is never tried again (issue 10 item 6).
        var nextSegment: UInt64
        /// A failed write may have left part of a record in the active segment: append to a new one.
        var activeDamaged = false
        var shipped: AuditSpoolPosition
        var unshippedBytes = 0
        /// Bytes written by this process, how many of them are known synced, and how many the
        /// appenders wrote themselves.
        var written = 0
        var synced = 0
        var writtenByAppenders = 0
        var lastSync = Date()
        var closing = false
        var threadsRunning = 2
        /// The writer waits on `condition` for appends.
        var writerAsleep = false
        /// An appender or the writer thread is writing at the end of the active segment; nobody
        /// else writes until it has counted its bytes.
        var writing = false
        /// The sync thread has nothing to do until woken: nothing unsynced, nobody waiting.
        var syncIdle = false
        var closed: [CheckedContinuation<Void, Never>] = []
    }

    private let directory: AuditSpoolDirectory
    private let sizeLimit: Int
    private let segmentSizeLimit: Int
    private let syncInterval: TimeInterval
    private let logger: Logger
    private let condition = NSCondition()
    private let syncWakeup = Wakeup()
    private var state: State

    /// A writer appending to `activeSegment` (opened, preallocated, header written), with the
    /// segments already on disk and what of them is shipped.
    init(
        directory: AuditSpoolDirectory, extents: [UInt64: Extent], activeSegment: UInt64, activeDescriptor: Int32,
        shipped: AuditSpoolPosition, sizeLimit: Int, segmentSizeLimit: Int, syncInterval: Duration, logger: Logger
    ) {
        self.directory = directory
        self.sizeLimit = sizeLimit
        self.segmentSizeLimit = segmentSizeLimit
        self.syncInterval = Double(syncInterval.components.seconds) + Double(syncInterval.components.attoseconds) / 1e18
        self.logger = logger
        state = State(extents: extents, active: activeSegment, activeDescriptor: activeDescriptor, nextSegment: activeSegment + 1, shipped: shipped)
        state.unshippedBytes = Self.unshippedBytes(extents, shipped: shipped)
        // At most 15 bytes: Linux refuses a longer thread name, and profiles then showed these
        // threads under their creator's name.
        startThread(named: "audit-writer") { [self] in writeContinuously() }
        startThread(named: "audit-sync") { [self] in syncContinuously() }
    }

    private func startThread(named name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            body()
            threadEnded()
        }
        thread.name = name
        thread.start()
    }

    /// Bytes the spool holds unshipped or queued; appends that would pass `sizeLimit` fail.
    var spooledBytes: Int { locked { $0.unshippedBytes + $0.queuedBytes } }

    /// Bytes appended but not yet written: a read of the segments does not see them yet.
    var queuedBytes: Int { locked { $0.queuedBytes } }

    /// Bytes written by this process, and how many of them are synced: the difference is what a
    /// machine crash could lose right now. Of the written ones, how many their appenders wrote.
    var progress: (written: Int, synced: Int, writtenByAppenders: Int) { locked { ($0.written, $0.synced, $0.writtenByAppenders) } }

    /// Every segment with where its records end, and the one being appended to.
    var segments: (extents: [UInt64: Extent], active: UInt64) { locked { ($0.extents, $0.active) } }

    /// Queues `bytes` (whole records) and returns once they are as durable as `wait` says, with
    /// the bytes the spool then holds. Throws `spoolFull` (nothing queued) when they do not fit.
    func append(_ bytes: [UInt8], wait: Wait) async throws -> Int {
        if wait == .written, let spooled = try writeInline(bytes) { return spooled }
        var spooled = 0
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
            do {
                spooled = try enqueue(Append(bytes: bytes, wait: wait, waiter: waiter))
            } catch {
                waiter.resume(throwing: error)
            }
        }
        return spooled
    }

    /// Queues `bytes` and returns at once; a failed write retries them in a new segment.
    func append(_ bytes: [UInt8]) throws -> Int {
        try enqueue(Append(bytes: bytes))
    }

    private func enqueue(_ append: Append) throws -> Int {
        let (spooled, wake) = try locked { state in
            let spooled = try admit(append.bytes.count, &state)
            state.queue.append(append)
            state.queuedBytes += append.bytes.count
            return (spooled, state.writerAsleep)
        }
        if wake { wakeWriter() }
        return spooled
    }

    /// Signalled with the lock released: woken while the appender still holds it, the writer would
    /// block on the lock at once, a futex wait and a wake more per hand-over (issue 11, CPU per
    /// call). No wake-up is lost: the writer checks the queue with the lock held before it waits.
    private func wakeWriter() {
        condition.signal()
    }

    /// The bytes the spool holds with `count` more; throws when the spool is closing or they do not fit.
    private func admit(_ count: Int, _ state: inout State) throws -> Int {
        guard !state.closing else { throw AuditSpoolError.closed }
        let spooled = state.unshippedBytes + state.queuedBytes + count
        guard spooled <= sizeLimit else { throw AuditSpoolError.spoolFull }
        return spooled
    }

    /// Writes `bytes` on the caller's thread when nobody writes, nothing is queued and the active
    /// segment takes them as it is; nil (nothing done) otherwise, and the caller queues them. A
    /// failed write throws, and the next write starts a new segment, as a failed round does.
    private func writeInline(_ bytes: [UInt8]) throws -> Int? {
        let claimed: (descriptor: Int32, offset: Int, spooled: Int)? = try locked { state in
            let spooled = try admit(bytes.count, &state)
            let end = state.extents[state.active]?.end ?? 0
            guard !state.writing, state.queue.isEmpty, !state.activeDamaged, state.activeDescriptor >= 0, end < segmentSizeLimit
            else { return nil }
            state.writing = true
            state.queuedBytes += bytes.count
            return (state.activeDescriptor, end, spooled)
        }
        guard let claimed else { return nil }
        do {
            try directory.write(bytes, at: claimed.offset, to: claimed.descriptor)
        } catch {
            let wake = locked { state in
                state.activeDamaged = true
                state.queuedBytes -= bytes.count
                return handOver(&state)
            }
            if wake { wakeWriter() }
            logger.error("audit spool write failed", metadata: ["audit.error": "\(error)", "audit.appends_refused": "1"])
            throw error
        }
        let wake = locked { state in
            counted(written: bytes.count, &state)
            state.writtenByAppenders += bytes.count
            return handOver(&state)
        }
        if wake { wakeWriter() }
        return claimed.spooled
    }

    /// Bytes just written at the end of the active segment: readers and the sync thread may have them.
    private func counted(written count: Int, _ state: inout State) {
        state.extents[state.active, default: Extent(start: 0, end: 0)].end += count
        state.queuedBytes -= count
        state.unshippedBytes += count
        state.written += count
        if state.syncIdle || !state.syncWaiters.isEmpty || !state.retired.isEmpty { syncWakeup.wake() }
    }

    /// An inline writer is done: true when the writer thread sleeps and must be woken for what was
    /// queued meanwhile (or its close); at concurrency 1 nothing is, and it stays asleep.
    private func handOver(_ state: inout State) -> Bool {
        state.writing = false
        return state.writerAsleep && (!state.queue.isEmpty || state.closing)
    }

    /// Everything before `position` is shipped: returns the segments before it, which the caller deletes.
    func release(upTo position: AuditSpoolPosition) -> [UInt64] {
        locked { state in
            state.shipped = position
            let released = state.extents.keys.filter { $0 < position.segment }
            for number in released { state.extents[number] = nil }
            state.unshippedBytes = Self.unshippedBytes(state.extents, shipped: position)
            return released
        }
    }

    /// Writes what is queued, syncs what is written, closes the segments (the active one cut to its
    /// records) and returns once both threads have ended. Later appends fail with `closed`.
    func close() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            locked { state in
                state.closing = true
                if state.threadsRunning == 0 {
                    done.resume()
                } else {
                    state.closed.append(done)
                }
                condition.broadcast()
                syncWakeup.wake()
            }
        }
    }

    private static func unshippedBytes(_ extents: [UInt64: Extent], shipped: AuditSpoolPosition) -> Int {
        extents.reduce(0) { total, entry in
            let (number, extent) = entry
            guard number >= shipped.segment else { return total }
            let start = number == shipped.segment ? max(extent.start, shipped.offset) : extent.start
            return total + max(0, extent.end - start)
        }
    }

    private func locked<T>(_ body: (inout State) throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body(&state)
    }

    /// For bodies that wait on `condition`: they read `self.state` afresh after every wait. An
    /// `inout` access (`locked`) is exclusive for its whole duration, so across a wait the optimizer
    /// may keep what it read before, and a release build then never sees the appender's change.
    private func lockedWaiting<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    private func threadEnded() {
        let waiting = locked { state in
            state.threadsRunning -= 1
            condition.broadcast()
            syncWakeup.wake()
            return state.threadsRunning == 0 ? state.closed : []
        }
        for done in waiting { done.resume() }
    }
}

// MARK: - The writer thread

extension AuditSpoolWriter {
    /// What one round of the writer thread writes, and where.
    private struct Round {
        var appends: [Append]
        var descriptor: Int32
        var offset: Int
        var startsSegment: Bool
    }

    private func writeContinuously() {
        var pauseAfterFailure = false
        while let round = nextRound(pausing: pauseAfterFailure) {
            pauseAfterFailure = !write(round)
        }
        finishSegment()
    }

    /// Waits for queued appends (after a failure, up to 100 ms: retried `response` rows must not
    /// spin on a broken disk); nil once closing with nothing left to write.
    private func nextRound(pausing: Bool) -> Round? {
        lockedWaiting {
            state.writerAsleep = true
            defer { state.writerAsleep = false }
            if pausing { _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1)) }
            while (state.queue.isEmpty && !state.closing) || state.writing { condition.wait() }
            guard !state.queue.isEmpty else { return nil }
            let appends = state.queue
            state.queue = []
            state.writing = true
            let extent = state.extents[state.active] ?? Extent(start: 0, end: 0)
            return Round(
                appends: appends, descriptor: state.activeDescriptor, offset: extent.end,
                startsSegment: state.activeDamaged || extent.end >= segmentSizeLimit)
        }
    }

    /// One `pwrite` of the round's records (in a new segment first when needed); false on failure.
    private func write(_ round: Round) -> Bool {
        var round = round
        let bytes = round.appends.reduce(into: [UInt8]()) { $0 += $1.bytes }
        do {
            if round.startsSegment { try startSegment(&round) }
            try directory.write(bytes, at: round.offset, to: round.descriptor)
        } catch {
            failed(round, bytes: bytes.count, error: error)
            return false
        }
        let resumed: [CheckedContinuation<Void, any Error>] = locked { state in
            state.writing = false
            var resumed: [CheckedContinuation<Void, any Error>] = []
            for append in round.appends {
                guard let waiter = append.waiter else { continue }
                if append.wait == .synced { state.syncWaiters.append((state.written + bytes.count, waiter)) } else { resumed.append(waiter) }
            }
            counted(written: bytes.count, &state)
            return resumed
        }
        for waiter in resumed { waiter.resume() }
        return true
    }

    /// Starts the next segment and makes it the active one; the old one is cut to its records and
    /// handed to the sync thread.
    private func startSegment(_ round: inout Round) throws {
        let number = locked { state in
            defer { state.nextSegment += 1 }
            return state.nextSegment
        }
        let descriptor = try directory.createSegment(number, preallocating: segmentSizeLimit)
        let start = AuditSpoolFormat.current.headerSize
        locked { state in
            retireActive(&state)
            state.active = number
            state.activeDescriptor = descriptor
            state.activeDamaged = false
            state.extents[number] = Extent(start: start, end: start)
        }
        round.descriptor = descriptor
        round.offset = start
    }

    /// Cuts the active segment to its records (its preallocated rest goes) and retires it.
    private func retireActive(_ state: inout State) {
        guard state.activeDescriptor >= 0 else { return }
        if let extent = state.extents[state.active] { _ = ftruncate(state.activeDescriptor, off_t(extent.end)) }
        state.retired.append(state.activeDescriptor)
        state.activeDescriptor = -1
        syncWakeup.wake()
    }

    /// The round's appenders that wait learn the error (their request is refused); `response` rows,
    /// whose appender did not wait, go back to the front of the queue and are retried in a new segment.
    private func failed(_ round: Round, bytes: Int, error: any Error) {
        let refused: [CheckedContinuation<Void, any Error>] = locked { state in
            state.writing = false
            state.activeDamaged = true
            // Closing, there is no later round to retry in: those rows are counted in the log below.
            let retried = state.closing ? [] : round.appends.filter { $0.waiter == nil }
            state.queue = retried + state.queue
            state.queuedBytes -= bytes - retried.reduce(0) { $0 + $1.bytes.count }
            return round.appends.compactMap(\.waiter)
        }
        logger.error("audit spool write failed", metadata: [
            "audit.error": "\(error)", "audit.appends_refused": "\(refused.count)",
            "audit.appends_lost": "\(locked { $0.closing } ? round.appends.count - refused.count : 0)",
        ])
        for waiter in refused { waiter.resume(throwing: error) }
    }

    /// At close: the active segment is cut to its records and left to the sync thread.
    private func finishSegment() {
        locked { state in
            retireActive(&state)
            // Also with no segment to retire: the sync thread ends once the writer has.
            syncWakeup.wake()
        }
    }
}

// MARK: - The sync thread

extension AuditSpoolWriter {
    private func syncContinuously() {
        while let (descriptors, retired, target) = nextSync() {
            var failure: (any Error)?
            for descriptor in descriptors {
                do { try directory.syncData(descriptor) } catch { failure = failure ?? error }
            }
            for descriptor in retired { directory.closeDescriptor(descriptor) }
            synced(through: target, failure: failure)
        }
    }

    /// Waits until a sync is due: an appender waits for one, a segment was retired, or written bytes
    /// are `syncInterval` old. Returns the descriptors to sync (those retired to close after) and
    /// what the sync covers; nil once the writer has ended and everything is synced and closed.
    private func nextSync() -> (descriptors: [Int32], retired: [Int32], target: Int)? {
        enum Next { case sync, end, sleep(until: Date?) }
        while true {
            // Decided with the state locked, slept without it: a wake-up in between stays pending
            // in `syncWakeup` until the sleep.
            let next: Next = locked { state in
                let unsynced = state.written > state.synced
                state.syncIdle = false
                if !state.syncWaiters.isEmpty || !state.retired.isEmpty || (unsynced && state.closing) { return .sync }
                if unsynced {
                    let due = state.lastSync.addingTimeInterval(syncInterval)
                    return due <= Date() ? .sync : .sleep(until: due)
                }
                if state.closing && state.threadsRunning == 1 && state.activeDescriptor < 0 { return .end }
                state.syncIdle = true
                return .sleep(until: nil)
            }
            switch next {
            case .sync: return locked(Self.takeSync)
            case .end: return nil
            case .sleep(let deadline): syncWakeup.wait(until: deadline)
            }
        }
    }

    /// The descriptors to sync (the retired ones, to close after, and the active one) and the
    /// written bytes the sync covers.
    private static func takeSync(_ state: inout State) -> (descriptors: [Int32], retired: [Int32], target: Int) {
        let retired = state.retired
        state.retired = []
        let descriptors = retired + (state.activeDescriptor >= 0 ? [state.activeDescriptor] : [])
        return (descriptors, retired, state.written)
    }

    /// Resumes the appenders the sync covered, or tells them it failed: after a failed `fdatasync`
    /// the kernel may have dropped the pages, so the next write starts a new segment.
    private func synced(through target: Int, failure: (any Error)?) {
        let covered: [CheckedContinuation<Void, any Error>] = locked { state in
            state.lastSync = Date()
            if failure == nil {
                state.synced = max(state.synced, target)
            } else {
                state.activeDamaged = true
            }
            let covered = state.syncWaiters.filter { $0.target <= target }.map(\.waiter)
            state.syncWaiters.removeAll { $0.target <= target }
            return covered
        }
        if let failure {
            logger.error("audit spool fdatasync failed; appending to a new segment", metadata: ["audit.error": "\(failure)"])
            for waiter in covered { waiter.resume(throwing: failure) }
        } else {
            for waiter in covered { waiter.resume() }
        }
    }
}

/// A wake-up that is not lost when it comes before the wait: `wake` leaves it pending, and the
/// next `wait` returns at once and clears it.
private final class Wakeup: @unchecked Sendable {
    // @unchecked: `pending` is read and written only with `condition` locked.
    private let condition = NSCondition()
    private var pending = false

    /// Signalled with the lock released, so the woken thread does not block on it at once.
    func wake() {
        condition.lock()
        pending = true
        condition.unlock()
        condition.signal()
    }

    /// Returns when woken (now or earlier) or at `deadline` (none: only when woken).
    func wait(until deadline: Date?) {
        condition.lock()
        defer { condition.unlock() }
        if let deadline {
            while !pending, condition.wait(until: deadline) {}
        } else {
            // Not `wait(until: .distantFuture)`: Foundation on Linux traps converting it to a timespec.
            while !pending { condition.wait() }
        }
        pending = false
    }
}
