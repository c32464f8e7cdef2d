import FuzzCheck
import Shared

/// The SSE parser (Sources/Shared/MCP/ServerSentEventParser.swift) on an arbitrary upstream body.
/// Properties, beyond not crashing:
/// - chunking does not matter: the body fed whole, byte by byte, or in uneven chunks yields the same
///   events, and the size limit trips (or not) the same way (an upstream picks the TCP segments);
/// - a limit is a limit: with a small `maxEventBytes` no event's data is larger, and when nothing
///   trips it the events are the ones the default limit gives;
/// - the events, written back as an event stream, parse to themselves (no field leaks into another:
///   type and id hold no line breaks, data no CR).
/// Small enough that the fuzzer reaches it with short inputs.
let smallLimit = 64

func checkServerSentEventProperties(_ body: [UInt8]) {
    let whole = events(of: [body], maxEventBytes: ServerSentEventParser.defaultMaxEventBytes)
    check(whole != nil, "the default limit tripped on \(body.count) bytes")
    let oneByOne = events(of: body.map { [$0] }, maxEventBytes: ServerSentEventParser.defaultMaxEventBytes)
    check(oneByOne == whole, "byte-by-byte feeding changed the events: \(printable(body))")
    let uneven = events(of: unevenChunks(of: body), maxEventBytes: ServerSentEventParser.defaultMaxEventBytes)
    check(uneven == whole, "uneven chunks changed the events: \(printable(body))")

    let limitedWhole = events(of: [body], maxEventBytes: smallLimit)
    let limitedChunks = events(of: unevenChunks(of: body), maxEventBytes: smallLimit)
    check((limitedWhole == nil) == (limitedChunks == nil), "the limit depends on chunking: \(printable(body))")
    if let limited = limitedWhole {
        check(limited == whole, "a limit that did not trip changed the events")
        check(limited.allSatisfy { $0.data.count <= smallLimit }, "an event over the limit was dispatched")
    }

    guard let dispatched = whole else { return }
    for event in dispatched {
        check(!event.data.contains(UInt8(ascii: "\r")), "data holds a CR")
        check(!event.type.utf8.contains(where: isLineBreak), "type holds a line break")
        check(!(event.lastEventID?.utf8.contains(where: { isLineBreak($0) || $0 == 0 }) ?? false), "id holds a line break or NUL")
    }
    let written = eventStream(dispatched)
    check(events(of: [written], maxEventBytes: ServerSentEventParser.defaultMaxEventBytes) == dispatched,
          "written back, the events parse differently: \(printable(written))")
}

/// Every event dispatched by feeding `chunks` in order and ending the stream, or nil when the parser threw.
func events(of chunks: [[UInt8]], maxEventBytes: Int) -> [ServerSentEvent]? {
    var parser = ServerSentEventParser(maxEventBytes: maxEventBytes)
    var events: [ServerSentEvent] = []
    do {
        for chunk in chunks { events += try parser.feed(chunk) }
    } catch {
        return nil
    }
    return events
}

/// Chunks of 1 to 7 bytes, the lengths drawn from the body itself so the fuzzer steers them.
func unevenChunks(of body: [UInt8]) -> [[UInt8]] {
    var chunks: [[UInt8]] = []
    var start = 0
    while start < body.count {
        let length = 1 + Int(body[start] &* 31 &+ UInt8(truncatingIfNeeded: start)) % 7
        chunks.append(Array(body[start..<min(body.count, start + length)]))
        start += length
    }
    return chunks
}

func isLineBreak(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") }

/// The events as an upstream would write them: `id` when it changes, `event`, one `data` line per LF.
func eventStream(_ events: [ServerSentEvent]) -> [UInt8] {
    var out: [UInt8] = []
    var lastEventID: String? = nil
    for event in events {
        if event.lastEventID != lastEventID, let id = event.lastEventID {
            out += Array("id: \(id)\n".utf8)
            lastEventID = id
        }
        out += Array("event: \(event.type)\n".utf8)
        for line in event.data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            out += Array("data: ".utf8) + line + [UInt8(ascii: "\n")]
        }
        out.append(UInt8(ascii: "\n"))
    }
    return out
}

// Last: top-level globals above are initialized in order, and the driver never returns.
runFuzzer { data, size in
    checkServerSentEventProperties(fuzzInput(data, size))
    return 0
}
