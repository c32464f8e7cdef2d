import Shared

/// How a spool segment's records are framed and encoded, named by the segment's first bytes.
///
/// Segments written before issue 11 have no header: their first bytes are the first record's
/// length, at most `AuditSpoolRecord.maxPayloadSize` (16 MiB), so their fourth byte is 0 or 1. A
/// header starts with `PCSPOOL` (its fourth byte is `S`), so the two can never be mistaken for
/// each other, and the byte after it is the version. An upgraded worker still ships the segments
/// an older one left (an upgrade loses no spooled event); a segment of a version it does not know
/// (from a newer gateway) is refused with `AuditSpoolError.unknownSegmentFormat` and kept.
enum AuditSpoolFormat: UInt8, Sendable {
    /// Before issue 11: no header, a JSON object per event (`AuditEvent+SpoolPayload`), the
    /// checksum over the payload only.
    case json = 1
    /// Issue 11 item 2: the binary event (`AuditEvent+BinarySpoolPayload`), the checksum over the
    /// length and the payload, so zero bytes (a preallocated segment's unwritten tail) are never a
    /// record.
    case binary = 2

    /// What this gateway writes.
    static let current = AuditSpoolFormat.binary

    static let magic = Array("PCSPOOL".utf8)
    static let headerSize = 8

    /// The bytes a segment of this format starts with (none for `json`).
    var header: [UInt8] {
        switch self {
        case .json: []
        case .binary: Self.magic + [rawValue]
        }
    }

    /// Where the first record starts.
    var headerSize: Int { header.count }

    /// The event a record's payload holds in this format.
    func event(from payload: ArraySlice<UInt8>) throws -> AuditEvent {
        switch self {
        case .json: try AuditEvent(spoolPayload: payload)
        case .binary: try AuditEvent(binarySpoolPayload: payload)
        }
    }

    /// The format of a segment whose first bytes (up to `headerSize`) are `start`; nil while the
    /// segment holds too few bytes to tell. Throws for a header of a version this gateway does not know.
    static func of(segmentStart start: ArraySlice<UInt8>) throws -> AuditSpoolFormat? {
        let compared = min(start.count, magic.count)
        guard start.prefix(compared).elementsEqual(magic.prefix(compared)) else { return .json }
        guard start.count >= headerSize else { return nil }
        let version = start[start.startIndex + magic.count]
        guard let format = AuditSpoolFormat(rawValue: version), format != .json else {
            throw AuditSpoolError.unknownSegmentFormat(version: version)
        }
        return format
    }
}
