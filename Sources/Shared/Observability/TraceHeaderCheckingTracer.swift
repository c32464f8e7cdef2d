import Tracing

/// The process's tracer, reading only `traceparent` and `tracestate` headers it can take as they
/// are (issue 10, hostile input; issue 13 item 6). Both headers come from whoever sends a request,
/// and swift-otel, given one it cannot decode, logs a warning with every header of the request
/// (`Authorization` included); its `tracestate` decoder takes about 10 ms of the request's event
/// loop for a value of 79 KiB (the header limit is 80 KiB). A header that fails the checks below is not
/// handed over at all: a bad `traceparent` starts a new trace (W3C Trace Context, section 3.2.2.1:
/// "restart the trace"), a bad `tracestate` is dropped and the trace continues (section 3.3.1.1
/// lets a vendor discard it). Every other key goes through unchanged.
struct TraceHeaderCheckingTracer<Base: Tracer>: Tracer {
    typealias Span = Base.Span
    let base: Base

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> Base.Span {
        base.startSpan(operationName, context: context(), ofKind: kind, at: instant(), function: function, file: fileID, line: line)
    }

    func activeSpan(identifiedBy context: ServiceContext) -> Base.Span? {
        base.activeSpan(identifiedBy: context)
    }

    func forceFlush() {
        base.forceFlush()
    }

    func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        base.inject(context, into: &carrier, using: injector)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract.Carrier == Carrier {
        base.extract(carrier, into: &context, using: CheckedTraceHeaders(base: extractor))
    }
}

/// Hands a `traceparent` or `tracestate` value to the tracer only when `W3CTraceHeaders` accepts it.
private struct CheckedTraceHeaders<Base: Extractor>: Extractor {
    let base: Base

    func extract(key: String, from carrier: Base.Carrier) -> String? {
        guard let value = base.extract(key: key, from: carrier) else { return nil }
        switch key {
        case "traceparent": return W3CTraceHeaders.isReadableTraceParent(value) ? value : nil
        case "tracestate": return W3CTraceHeaders.isReadableTraceState(value) ? value : nil
        default: return value
        }
    }
}

/// The W3C Trace Context grammar (https://www.w3.org/TR/trace-context/), stricter than the decoder
/// behind the tracer wherever the two differ, so that a value passing here always decodes there.
enum W3CTraceHeaders {
    /// Longest `tracestate` read: the length the specification asks every vendor to propagate
    /// (section 3.3.1.5); a longer one is dropped whole rather than cut.
    static let maxTraceStateBytes = 512

    /// Version 00: `00-` 32 lowercase hex digits (not all zero) `-` 16 (not all zero) `-` 2. One
    /// header only: two `traceparent` fields arrive joined by a comma and fail the length check.
    static func isReadableTraceParent(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count == 55, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "0") else { return false }
        guard [2, 35, 52].allSatisfy({ bytes[$0] == UInt8(ascii: "-") }) else { return false }
        let traceID = bytes[3..<35], spanID = bytes[36..<52], flags = bytes[53..<55]
        guard [traceID, spanID, flags].allSatisfy({ $0.allSatisfy(isLowercaseHex) }) else { return false }
        return traceID.contains { $0 != UInt8(ascii: "0") } && spanID.contains { $0 != UInt8(ascii: "0") }
    }

    /// At most `maxTraceStateBytes` of comma-separated `key=value` members (optional spaces after a
    /// comma), keys of `a-z 0-9 _ - * /` with at most one `@` (tenant ≤ 241, system ≤ 14 bytes,
    /// a simple key ≤ 256), values of printable ASCII without a comma, ≤ 256 bytes.
    static func isReadableTraceState(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count <= maxTraceStateBytes else { return false }
        return bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).enumerated().allSatisfy { index, member in
            let member = index == 0 ? member : member.drop { $0 == UInt8(ascii: " ") }
            guard let equals = member.firstIndex(of: UInt8(ascii: "=")) else { return false }
            return isReadableKey(member[..<equals]) && isReadableValue(member[(equals + 1)...])
        }
    }

    private static func isReadableKey(_ key: ArraySlice<UInt8>) -> Bool {
        let parts = key.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        guard parts.allSatisfy({ $0.allSatisfy(isKeyByte) }) else { return false }
        switch parts.count {
        case 1: return key.count <= 256
        case 2: return parts[0].count <= 241 && parts[1].count <= 14
        default: return false
        }
    }

    private static func isReadableValue(_ value: ArraySlice<UInt8>) -> Bool {
        value.count <= 256 && value.allSatisfy { (0x20...0x7E).contains($0) && $0 != UInt8(ascii: ",") }
    }

    private static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "/")
    }
}
