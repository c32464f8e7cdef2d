import FuzzCheck
import Shared

/// The audit spool's reader (Sources/Gateway/Audit: AuditSpoolRecord and AuditEvent+SpoolPayload)
/// on an arbitrary segment file: what a crash, a full disk or a hostile local writer leaves behind.
/// The whole input is also read as one payload: a mutated payload fails its checksum, so through
/// the framing alone the fuzzer would never reach the event reader. Properties, beyond not trapping:
/// - framing: the records read span exactly the bytes reported consumed, re-framing them rebuilds
///   those bytes, and reading at most k records gives the first k;
/// - an event read back from a payload writes a payload that reads back to the same event, and
///   writing that again changes no byte (what the shipper hashes is what was spooled);
/// - an event with finite latencies survives the trip unchanged.
func checkAuditSpoolProperties(_ segment: [UInt8]) {
    let (payloads, consumed) = AuditSpoolRecord.decodeRecords(in: segment[...])
    check(consumed >= 0 && consumed <= segment.count, "consumed \(consumed) of \(segment.count) bytes")
    var reframed: [UInt8] = []
    for payload in payloads { AuditSpoolRecord.append(payload: Array(payload), to: &reframed) }
    check(reframed[...] == segment[..<consumed], "re-framing the records does not rebuild the \(consumed) bytes read")
    if payloads.count > 1 {
        let first = AuditSpoolRecord.decodeRecords(in: segment[...], maxRecords: payloads.count - 1)
        check(first.payloads == Array(payloads.dropLast()), "maxRecords did not give a prefix")
    }

    for payload in payloads + [segment[...]] {
        guard let event = try? AuditEvent(spoolPayload: payload) else { continue }
        let written = event.spoolPayload()
        let reread: AuditEvent
        do {
            reread = try AuditEvent(spoolPayload: written[...])
        } catch {
            fatalError("property violated: a payload written from a read event does not read back (\(error)): \(printable(written))")
        }
        check(reread.spoolPayload() == written, "writing the event again changed its payload: \(printable(written))")
        check(reread == (try? AuditEvent(spoolPayload: reread.spoolPayload()[...])), "the re-read event is not stable")
        let finite = [event.gatewayLatencyMs, event.upstreamLatencyMs].allSatisfy { $0?.isFinite ?? true }
        if finite { check(reread == event, "the event changed on the way through the spool: \(printable(payload))") }
    }
}

// Last: top-level globals above are initialized in order, and the driver never returns.
runFuzzer { data, size in
    checkAuditSpoolProperties(fuzzInput(data, size))
    return 0
}
