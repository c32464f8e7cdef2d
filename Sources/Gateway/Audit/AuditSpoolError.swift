/// Why the spool refused an append or a read.
struct AuditSpoolError: Error, Equatable, CustomStringConvertible {
    private enum Base: Equatable {
        case spoolFull, corruptRecord, io(operation: String, errno: Int32), inUse(path: String), unknownSegmentFormat(version: UInt8)
        case closed
    }
    private let base: Base

    /// The spool holds its size limit in unshipped events: the gateway answers 503 rather than
    /// drop an event (design.md §7).
    static let spoolFull = AuditSpoolError(base: .spoolFull)
    /// A record passed its checksum but is not an event this gateway wrote.
    static let corruptRecord = AuditSpoolError(base: .corruptRecord)

    /// The spool was closed (graceful shutdown): nothing more is appended.
    static let closed = AuditSpoolError(base: .closed)

    static func io(_ operation: String, errno: Int32) -> AuditSpoolError {
        AuditSpoolError(base: .io(operation: operation, errno: errno))
    }

    /// Another process holds the spool folder's lock (issue 10 item 6).
    static func inUse(path: String) -> AuditSpoolError {
        AuditSpoolError(base: .inUse(path: path))
    }

    /// A segment written by a gateway of a newer spool format (issue 11 item 2): it is kept, not
    /// shipped, until a gateway that reads it opens the spool.
    static func unknownSegmentFormat(version: UInt8) -> AuditSpoolError {
        AuditSpoolError(base: .unknownSegmentFormat(version: version))
    }

    var description: String {
        switch base {
        case .spoolFull: "audit spool full"
        case .corruptRecord: "corrupt audit spool record"
        case .io(let operation, let errno): "audit spool \(operation) failed (errno \(errno))"
        case .closed: "audit spool closed"
        case .unknownSegmentFormat(let version):
            "audit spool segment of format version \(version), which this gateway does not read; it is kept for a gateway that does"
        case .inUse(let path):
            "audit spool folder \(path) is in use by another process; give every worker its own --audit-spool-dir"
        }
    }
}

/// A place in the spool: a segment number and a byte offset in that segment.
struct AuditSpoolPosition: Comparable, Sendable, CustomStringConvertible {
    var segment: UInt64
    var offset: Int

    static func < (lhs: Self, rhs: Self) -> Bool { (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset) }

    var description: String { "\(segment) \(offset)" }

    init(segment: UInt64, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    /// Parses `description`, the form the shipped marker file holds.
    init?(_ text: String) {
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let segment = UInt64(parts[0]), let offset = Int(parts[1]), offset >= 0 else { return nil }
        self.init(segment: segment, offset: offset)
    }
}
