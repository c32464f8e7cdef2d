import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import Shared
import TestSupport
import Testing

/// Trace headers are whatever the caller sends (issue 10, hostile input; issue 13 item 6). With
/// tracing on, a malformed, huge or repeated `traceparent` starts a new trace and an unreadable
/// `tracestate` is dropped; the request is served, nothing crashes, and no log line repeats the
/// request's headers (swift-otel's warning for a header it cannot decode holds all of them, the
/// bearer token included).
@Suite(.timeLimit(.minutes(3)))
struct AdversarialTraceHeaderTests {
    static let policy: JSONValue = ["version": "1", "default": "allow", "pin": "off"]
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let spanID = "00f067aa0ba902b7"
    static let traceparent = "00-\(traceID)-\(spanID)-01"

    /// Each is sent as the only trace headers of one call.
    static let hostileTraceparents: [[(String, String)]] = [
        [("traceparent", "00-not-a-trace-context-01")],
        [("traceparent", "00-" + String(repeating: "4", count: 16 << 10))],
        [("traceparent", traceparent), ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")],
        [("traceparent", "00-00000000000000000000000000000000-\(spanID)-01")],
        [("traceparent", "ff-\(traceID)-\(spanID)-01")],
        [("traceparent", "00-\(traceID.uppercased())-\(spanID)-01")],
    ]

    @Test func aWorkerServesHostileTraceHeadersAsNewTracesWithoutLoggingTheRequestsHeaders() async throws {
        let receiver = try await OTLPReceiver.start()
        defer { Task { await receiver.stop() } }
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.policy)
            let worker = try await harness.startWorker(arguments: ["--otel-endpoint", receiver.endpoint])
            try await worker.waitForGrant(grant)

            for (index, headers) in Self.hostileTraceparents.enumerated() {
                let call = try await worker.post(toolCall(index + 1, "echo", [:]), grant: grant, headers: headers)
                #expect(call.status == 200)
                #expect(call.response(id: index + 1)?["result"]?["isError"] == false)
            }
            // A good traceparent with a long tracestate, which the tracer's decoder would read byte by byte.
            let kept = try await worker.post(
                toolCall(99, "echo", [:]), grant: grant,
                headers: [("traceparent", Self.traceparent), ("tracestate", String(repeating: "a", count: 16 << 10))])
            #expect(kept.status == 200)
            let log = worker.server.process.output
            #expect(!log.contains(grant.token), "a log line holds the grant token")
            #expect(!log.contains("Failed to extract"))
            try await worker.stop()

            let calls = try receiver.spans.filter { $0.name == "mcp tools/call" }
            #expect(calls.count == Self.hostileTraceparents.count + 1)
            let continued = calls.filter { $0.traceID.hex == Self.traceID }
            #expect(continued.count == 1, "only the call with a good traceparent continues the agent's trace")
            #expect(continued.first?.parentSpanID.hex == Self.spanID)
            for span in calls where span.traceID.hex != Self.traceID {
                #expect(span.parentSpanID.allSatisfy { $0 == 0 }, "a hostile traceparent must start a new trace")
            }
            // The upstream gets one traceparent per call, the gateway's, in the call's trace.
            let forwarded = upstream.received.filter { $0.jsonRPCMethod == "tools/call" }
            #expect(forwarded.count == calls.count)
            for request in forwarded {
                let values = request.headers.filter { $0.name.lowercased() == "traceparent" }.map(\.value)
                #expect(values.count == 1)
                #expect(values.first.map { value in calls.contains { value.hasPrefix("00-\($0.traceID.hex)-") } } == true)
            }
        }
    }

    @Test func theControlPlaneServesAHostileTraceparentWithoutLoggingTheAPIKey() async throws {
        let receiver = try await OTLPReceiver.start()
        defer { Task { await receiver.stop() } }
        try await GatewayHarness.with { harness in
            let traced = try await ControlPlaneFixture.start(
                conninfo: harness.conninfo, arguments: ["--secret-keys", harness.secretKeys, "--otel-endpoint", receiver.endpoint])
            var request = HTTPClientRequest(url: traced.server.baseURL + "/v1/servers")
            request.headers.add(name: "Authorization", value: "Bearer \(harness.apiKey)")
            request.headers.add(name: "traceparent", value: "00-not-a-trace-context-01")
            request.headers.add(name: "tracestate", value: String(repeating: "a", count: 64 << 10))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status.code == 200)
            let log = traced.server.process.output
            #expect(!log.contains(harness.apiKey), "a log line holds the API key")
            try await traced.stop()

            let span = try #require(try receiver.spans.first { $0.name == "/v1/servers" })
            #expect(span.parentSpanID.allSatisfy { $0 == 0 })
        }
    }
}
