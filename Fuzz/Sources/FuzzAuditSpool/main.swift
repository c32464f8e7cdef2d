import FuzzCheck
import Shared

/// The audit spool's reader (Sources/Gateway/Audit: AuditSpoolFormat, AuditSpoolRecord,
/// AuditEvent+BinarySpoolPayload and, for segments written before issue 11, AuditEvent+SpoolPayload)
/// on an arbitrary segment file: what a crash, a full disk or a hostile local writer leaves behind.
/// The whole input is also read as one payload in each format: a mutated payload fails its
/// checksum, so through the framing alone the fuzzer would never reach the event readers.
/// Properties, beyond not trapping:
/// - the format is told from the first bytes (a header of an unknown version is refused, not read);
/// - framing: the records read span exactly the bytes reported consumed, re-framing them rebuilds
///   those bytes, and reading at most k records gives the first k;
/// - an event read back from a payload writes a payload that reads back to the same event, and
///   writing that again changes no byte (what the shipper hashes is what was spooled);
/// - an event with finite latencies survives the trip unchanged.
func checkAuditSpoolProperties(_ segment: [UInt8]) {
    let format: AuditSpoolFormat
    do {
        guard let known = try AuditSpoolFormat.of(segmentStart: segment.prefix(AuditSpoolFormat.headerSize)) else { return }
        format = known
    } catch {
        check(segment.starts(with: AuditSpoolFormat.magic), "a segment without the header was refused: \(error)")
        return
    }
    check(segment.starts(with: format.header), "the format read is not the one the header names")
    let records = segment[format.headerSize...]
    let (payloads, consumed) = AuditSpoolRecord.decodeRecords(in: records, format: format)
    check(consumed >= 0 && consumed <= records.count, "consumed \(consumed) of \(records.count) bytes")
    var reframed: [UInt8] = []
    for payload in payloads { AuditSpoolRecord.append(payload: Array(payload), format: format, to: &reframed) }
    check(reframed[...] == records.prefix(consumed), "re-framing the records does not rebuild the \(consumed) bytes read")
    if payloads.count > 1 {
        let first = AuditSpoolRecord.decodeRecords(in: records, format: format, maxRecords: payloads.count - 1)
        check(first.payloads == Array(payloads.dropLast()), "maxRecords did not give a prefix")
    }

    for payload in payloads { checkEvent(in: payload, format: format) }
    checkEvent(in: segment[...], format: .json)
    checkEvent(in: segment[...], format: .binary)
}

/// An event read from `payload` is written in the current format, and must read back the same.
func checkEvent(in payload: ArraySlice<UInt8>, format: AuditSpoolFormat) {
    guard let event = try? format.event(from: payload) else { return }
    let written = event.binarySpoolPayload()
    let reread: AuditEvent
    do {
        reread = try AuditEvent(binarySpoolPayload: written[...])
    } catch {
        fatalError("property violated: a payload written from a read event does not read back (\(error)): \(printable(written))")
    }
    check(reread.binarySpoolPayload() == written, "writing the event again changed its payload: \(printable(written))")
    let finite = [event.gatewayLatencyMs, event.upstreamLatencyMs].allSatisfy { $0?.isFinite ?? true }
    if finite { check(reread == event, "the event changed on the way through the spool: \(printable(payload))") }
    // The JSON form (dead letters) of the same event reads back to it too.
    if finite, let json = try? AuditEvent(spoolPayload: event.spoolPayload()[...]) {
        check(json.spoolPayload() == event.spoolPayload(), "the JSON form is not stable: \(printable(payload))")
    }
}

// Last: top-level globals above are initialized in order, and the driver never returns.
runFuzzer { data, size in
    checkAuditSpoolProperties(fuzzInput(data, size))
    return 0
}
