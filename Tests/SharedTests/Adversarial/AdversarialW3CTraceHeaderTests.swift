import Testing
@testable import Shared

/// What the tracer is given of a caller's trace headers (issue 10, hostile input; issue 13 item 6):
/// only values of the W3C grammar, a `tracestate` of at most 512 bytes. The end-to-end behaviour
/// (a new trace, nothing logged) is `AdversarialTraceHeaderTests` in GatewayTests.
@Suite struct AdversarialW3CTraceHeaderTests {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let spanID = "00f067aa0ba902b7"

    @Test func aTraceparentIsReadOnlyInTheVersion00Grammar() {
        #expect(W3CTraceHeaders.isReadableTraceParent("00-\(Self.traceID)-\(Self.spanID)-01"))
        for refused in [
            "00-not-a-trace-context-01",
            "00-\(Self.traceID)-\(Self.spanID)-01, 00-\(Self.traceID)-\(Self.spanID)-00",   // two headers, joined
            "00-" + String(repeating: "4", count: 64 << 10),
            "00-00000000000000000000000000000000-\(Self.spanID)-01",
            "00-\(Self.traceID)-0000000000000000-01",
            "ff-\(Self.traceID)-\(Self.spanID)-01",
            "00-\(Self.traceID.uppercased())-\(Self.spanID)-01",
            "00_\(Self.traceID)_\(Self.spanID)_01",
            "00-\(Self.traceID)-\(Self.spanID)-0g",
        ] {
            #expect(!W3CTraceHeaders.isReadableTraceParent(refused), "\(refused.prefix(80))")
        }
    }

    @Test func aTracestateIsReadOnlyWhenShortAndWellFormed() {
        for readable in ["congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE", "tenant@system=x=y", "a=1,b=2"] {
            #expect(W3CTraceHeaders.isReadableTraceState(readable), "\(readable)")
        }
        for refused in [
            String(repeating: "a", count: 64 << 10),                                // ~8 ms in the tracer's decoder
            "a=" + String(repeating: "b", count: W3CTraceHeaders.maxTraceStateBytes),
            " a=1", "a=1,,b=2", "A=1", "a@b@c=1", "a=\u{e9}", "novalue",
            "a@" + String(repeating: "s", count: 15) + "=1",
        ] {
            #expect(!W3CTraceHeaders.isReadableTraceState(refused), "\(refused.prefix(80))")
        }
    }
}
