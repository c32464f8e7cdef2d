import Foundation

/// The spool's folder on disk: segment files `segment-<number>.log` and the `shipped` marker.
/// Every function blocks on the file system; `AuditSpool` calls them on a thread pool, and
/// `AuditSpoolWriter` on its own threads, never on the cooperative pool.
struct AuditSpoolDirectory: Sendable {
    let path: String

    func segmentPath(_ number: UInt64) -> String { "\(path)/segment-\(String(format: "%020llu", number)).log" }
    private var markerPath: String { "\(path)/shipped" }

    func create() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Takes the folder's exclusive lock (`flock` on `lock`) and returns its descriptor, which holds
    /// the lock until closed or the process ends (issue 10 item 6). Two processes appending to and
    /// releasing one spool would delete each other's segments and ship events twice.
    func lock() throws -> Int32 {
        let descriptor = open("\(path)/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AuditSpoolError.io("open", errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(descriptor)
            throw error == EWOULDBLOCK ? AuditSpoolError.inUse(path: path) : AuditSpoolError.io("flock", errno: error)
        }
        return descriptor
    }

    /// Segment numbers present, with their sizes in bytes (for a segment a crash left preallocated,
    /// more than its records: reading stops at its unwritten, zero-filled rest).
    func segmentSizes() throws -> [UInt64: Int] {
        var sizes: [UInt64: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: path)
        where name.hasPrefix("segment-") && name.hasSuffix(".log") {
            guard let number = UInt64(name.dropFirst("segment-".count).dropLast(".log".count)) else { continue }
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(path)/\(name)")
            sizes[number] = (attributes[.size] as? NSNumber)?.intValue ?? 0
        }
        return sizes
    }

    /// Creates a segment, preallocates `size` bytes for it (a full disk fails here, not half-way
    /// through a record: issue 11 item 2) and writes the current format's header. The folder is
    /// synced too, or a crash could lose the file's name along with events already reported durable.
    /// If anything fails the new file is removed again, so a retry can create it.
    func createSegment(_ number: UInt64, preallocating size: Int) throws -> Int32 {
        let descriptor = open(segmentPath(number), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AuditSpoolError.io("open", errno: errno) }
        do {
            let header = AuditSpoolFormat.current.header
            let result = posix_fallocate(descriptor, 0, off_t(max(size, header.count)))
            guard result == 0 else { throw AuditSpoolError.io("fallocate", errno: result) }
            try write(header, at: 0, to: descriptor)
            try syncFolder()
        } catch {
            close(descriptor)
            unlink(segmentPath(number))
            throw error
        }
        return descriptor
    }

    func closeDescriptor(_ descriptor: Int32) {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Writes `bytes` at `offset` (in the page cache: durable against the process's death, not yet
    /// against the machine's).
    func write(_ bytes: [UInt8], at offset: Int, to descriptor: Int32) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress! + written, buffer.count - written, off_t(offset + written))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw AuditSpoolError.io("write", errno: errno)
            }
            written += result
        }
    }

    /// Up to `maxBytes` of a segment from `offset`; empty when the segment is gone.
    func read(segment: UInt64, from offset: Int, maxBytes: Int) throws -> [UInt8] {
        let descriptor = open(segmentPath(segment), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return [] }
            throw AuditSpoolError.io("open", errno: errno)
        }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: maxBytes)
        var filled = 0
        while filled < maxBytes {
            let result = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, maxBytes - filled, off_t(offset + filled))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw AuditSpoolError.io("read", errno: errno)
            }
            if result == 0 { break }
            filled += result
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    func removeSegment(_ number: UInt64) throws {
        guard unlink(segmentPath(number)) == 0 || errno == ENOENT else { throw AuditSpoolError.io("unlink", errno: errno) }
    }

    func readShippedMarker() -> AuditSpoolPosition? {
        (try? String(contentsOfFile: markerPath, encoding: .utf8)).flatMap(AuditSpoolPosition.init)
    }

    /// Replaces the marker atomically (write, sync, rename), so a crash leaves the old or the new one.
    func writeShippedMarker(_ position: AuditSpoolPosition) throws {
        let temporaryPath = markerPath + ".tmp"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AuditSpoolError.io("open", errno: errno) }
        do {
            try write(Array(position.description.utf8), at: 0, to: descriptor)
            try syncData(descriptor)
            close(descriptor)
        } catch {
            close(descriptor)
            throw error
        }
        guard rename(temporaryPath, markerPath) == 0 else { throw AuditSpoolError.io("rename", errno: errno) }
        try syncFolder()
    }

    private func syncFolder() throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw AuditSpoolError.io("open", errno: errno) }
        defer { close(descriptor) }
        try syncData(descriptor)
    }

    func syncData(_ descriptor: Int32) throws {
        #if os(Linux)
        let result = fdatasync(descriptor)
        #else
        let result = fsync(descriptor)
        #endif
        guard result == 0 else { throw AuditSpoolError.io("fdatasync", errno: errno) }
    }
}
