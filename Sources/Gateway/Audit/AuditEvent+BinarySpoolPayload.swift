import Foundation
import JSON
import Shared

/// An event's form inside a `binary` spool segment (issue 11 item 2): what the hot path writes,
/// without building and serializing a JSON object per event.
///
/// `id (16) | time_us (Int64) | account_id (16) | kind | decision | present (UInt32)` and then,
/// in the order of `codeOptionalFields`, each optional field whose bit in `present` is set. Integers
/// are little-endian; a UUID is its 16 bytes; a double its IEEE bits; text, bytes and JSON are a
/// UInt32 length and the bytes (UTF-8 for text, the value's serialized JSON for JSON, which keeps
/// its numbers' exact text: issue 10 item 1); a list of texts is a UInt32 count and the texts.
/// Reading refuses anything else (invalid UTF-8, unknown bits, bytes left over) as
/// `AuditSpoolError.corruptRecord`, so what reads back writes the same bytes again.
extension AuditEvent {
    func binarySpoolPayload() -> [UInt8] {
        var writer = SpoolPayloadWriter()
        writer.uuid(id)
        writer.int64(timeMicroseconds)
        writer.uuid(accountID)
        writer.text(kind)
        writer.text(decision)
        var event = self
        event.codeOptionalFields(with: &writer)
        return writer.finish()
    }

    /// The spooled event; its `seq` is 0 until the shipper chains it.
    init(binarySpoolPayload payload: ArraySlice<UInt8>) throws {
        var reader = SpoolPayloadReader(payload)
        self.init(
            id: try reader.uuid(), timeMicroseconds: try reader.int64(), accountID: try reader.uuid(), kind: try reader.text(),
            decision: try reader.text(), seq: 0)
        try reader.startOptionalFields()
        try codeOptionalFields(with: &reader)
        try reader.finish()
    }

    /// The one list of optional fields, in their order in the payload: the writer reads each one,
    /// the reader sets it.
    private mutating func codeOptionalFields<Coder: SpoolFieldCoder>(with coder: inout Coder) throws(Coder.Failure) {
        try coder.uuid(&identityID)
        try coder.text(&identityLabel)
        try coder.uuid(&grantID)
        try coder.uuid(&serverID)
        try coder.bytes(&sessionDigest)
        try coder.text(&protocolVersion)
        try coder.text(&method)
        try coder.json(&jsonrpcID)
        try coder.text(&tool)
        try coder.text(&code)
        try coder.text(&rule)
        try coder.text(&message)
        try coder.uuid(&policyID)
        try coder.int(&policyVersion)
        try coder.int64(&snapshotVersion)
        try coder.text(&toolDefinitionHash)
        try coder.texts(&argumentKeys)
        try coder.bytes(&argumentsHMAC)
        try coder.json(&arguments)
        try coder.json(&result)
        try coder.texts(&unenforcedLimits)
        try coder.int(&upstreamStatus)
        try coder.double(&gatewayLatencyMs)
        try coder.double(&upstreamLatencyMs)
        try coder.int64(&bytesIn)
        try coder.int64(&bytesOut)
        try coder.text(&workerID)
        try coder.uuid(&approvalID)
        // Issue 14 item 6: appended, so records written before read back with neither.
        try coder.text(&authMethod)
        try coder.text(&authClientID)
    }
}

/// Visits an optional field: the writer appends it (and marks it present), the reader sets it.
/// Typed throws: the writer's `Failure` is `Never`, so writing needs no `try`.
private protocol SpoolFieldCoder {
    associatedtype Failure: Error
    mutating func uuid(_ value: inout UUID?) throws(Failure)
    mutating func int64(_ value: inout Int64?) throws(Failure)
    mutating func int(_ value: inout Int?) throws(Failure)
    mutating func double(_ value: inout Double?) throws(Failure)
    mutating func text(_ value: inout String?) throws(Failure)
    mutating func bytes(_ value: inout [UInt8]?) throws(Failure)
    mutating func texts(_ value: inout [String]?) throws(Failure)
    mutating func json(_ value: inout JSONValue?) throws(Failure)
}

private struct SpoolPayloadWriter: SpoolFieldCoder {
    typealias Failure = Never
    private var out: [UInt8] = []
    private var present: UInt32 = 0
    private var field: UInt32 = 0
    private var presentOffset = 0

    init() { out.reserveCapacity(512) }

    func finish() -> [UInt8] {
        var out = out
        for index in 0..<4 { out[presentOffset + index] = UInt8(truncatingIfNeeded: present >> UInt32(8 * index)) }
        return out
    }

    mutating func uuid(_ value: UUID) {
        withUnsafeBytes(of: value.uuid) { out.append(contentsOf: $0) }
    }

    mutating func int64(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { sized($0) }
    }

    private mutating func sized(_ bytes: some Collection<UInt8>) {
        withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: bytes)
    }

    /// Marks the next optional field present when it has a value; the first call reserves `present`.
    private mutating func next<T>(_ value: T?) -> T? {
        if field == 0 {
            presentOffset = out.count
            out.append(contentsOf: [0, 0, 0, 0])
        }
        defer { field += 1 }
        guard let value else { return nil }
        present |= 1 << field
        return value
    }

    mutating func uuid(_ value: inout UUID?) { if let value = next(value) { uuid(value) } }
    mutating func int64(_ value: inout Int64?) { if let value = next(value) { int64(value) } }
    mutating func int(_ value: inout Int?) { if let value = next(value) { int64(Int64(value)) } }
    mutating func double(_ value: inout Double?) { if let value = next(value) { int64(Int64(bitPattern: value.bitPattern)) } }
    mutating func text(_ value: inout String?) { if let value = next(value) { text(value) } }
    mutating func bytes(_ value: inout [UInt8]?) { if let value = next(value) { sized(value) } }
    mutating func json(_ value: inout JSONValue?) { if let value = next(value) { sized(value.serializedBytes()) } }

    mutating func texts(_ value: inout [String]?) {
        guard let value = next(value) else { return }
        withUnsafeBytes(of: UInt32(value.count).littleEndian) { out.append(contentsOf: $0) }
        for text in value { self.text(text) }
    }
}

private struct SpoolPayloadReader: SpoolFieldCoder {
    typealias Failure = AuditSpoolError
    private let bytes: ArraySlice<UInt8>
    private var offset: Int
    private var present: UInt32 = 0
    private var field: UInt32 = 0

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        offset = bytes.startIndex
    }

    mutating func startOptionalFields() throws(AuditSpoolError) {
        present = UInt32(truncatingIfNeeded: try fixed(4))
    }

    /// Every byte read, and no field marked present beyond the ones this gateway knows.
    func finish() throws(AuditSpoolError) {
        guard offset == bytes.endIndex, present >> field == 0 else { throw AuditSpoolError.corruptRecord }
    }

    private mutating func take(_ count: Int) throws(AuditSpoolError) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.endIndex - offset >= count else { throw AuditSpoolError.corruptRecord }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// A little-endian integer of `size` bytes.
    private mutating func fixed(_ size: Int) throws(AuditSpoolError) -> UInt64 {
        try take(size).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    private mutating func sized() throws(AuditSpoolError) -> ArraySlice<UInt8> {
        try take(Int(try fixed(4)))
    }

    mutating func uuid() throws(AuditSpoolError) -> UUID {
        let raw = Array(try take(16))
        return UUID(uuid: (raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
                           raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]))
    }

    mutating func int64() throws(AuditSpoolError) -> Int64 { Int64(bitPattern: try fixed(8)) }

    mutating func text() throws(AuditSpoolError) -> String {
        guard let text = String(validating: try sized(), as: UTF8.self) else { throw AuditSpoolError.corruptRecord }
        return text
    }

    /// Whether the next optional field is present.
    private mutating func next() -> Bool {
        defer { field += 1 }
        return present & 1 << field != 0
    }

    mutating func uuid(_ value: inout UUID?) throws(AuditSpoolError) { value = next() ? try uuid() : nil }
    mutating func int64(_ value: inout Int64?) throws(AuditSpoolError) { value = next() ? try int64() : nil }
    mutating func double(_ value: inout Double?) throws(AuditSpoolError) { value = next() ? Double(bitPattern: UInt64(bitPattern: try int64())) : nil }
    mutating func text(_ value: inout String?) throws(AuditSpoolError) { value = next() ? try text() : nil }
    mutating func bytes(_ value: inout [UInt8]?) throws(AuditSpoolError) { value = next() ? Array(try sized()) : nil }

    mutating func int(_ value: inout Int?) throws(AuditSpoolError) { value = next() ? Int(truncatingIfNeeded: try int64()) : nil }

    mutating func texts(_ value: inout [String]?) throws(AuditSpoolError) {
        guard next() else {
            value = nil
            return
        }
        let count = try fixed(4)
        var texts: [String] = []
        // Each text takes at least its 4-byte length: a count beyond that is corrupt, not a reason to allocate.
        guard count <= UInt64(bytes.endIndex - offset) / 4 else { throw AuditSpoolError.corruptRecord }
        texts.reserveCapacity(Int(count))
        for _ in 0..<count { texts.append(try text()) }
        value = texts
    }

    mutating func json(_ value: inout JSONValue?) throws(AuditSpoolError) {
        guard next() else {
            value = nil
            return
        }
        let text = Array(try sized())
        do {
            value = try JSONParser(maxDepth: AuditEvent.maxStoredJSONDepth).parse(text)
        } catch {
            throw AuditSpoolError.corruptRecord
        }
    }
}
