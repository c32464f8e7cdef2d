import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// OpenTelemetry traces (issue 13 item 6), exported for real to a local OTLP/HTTP receiver: the
/// spans continue the agent's trace, carry the decision, reach the upstream as a traceparent, and
/// never carry a token, a session id or an argument value.
@Suite(.timeLimit(.minutes(3)))
struct TracingTests {
    static let policy: JSONValue = ["version": "1", "default": "allow", "pin": "off"]
    static let agentTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let agentSpanID = "00f067aa0ba902b7"

    @Test func aToolCallIsOneSpanInTheAgentsTraceWithTheDecisionAndAChildForTheUpstream() async throws {
        let receiver = try await OTLPReceiver.start()
        defer { Task { await receiver.stop() } }
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(mode: .json, stateful: true))
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.policy)
            let worker = try await harness.startWorker(arguments: ["--otel-endpoint", receiver.endpoint])
            try await worker.waitForGrant(grant)
            let opened = try await worker.post(initialize(1), grant: grant)
            let session = try #require(opened.sessionID)

            let secretArgument = "argument-value-\(UUID().uuidString)"
            let call = try await worker.post(
                toolCall(2, "echo", ["text": .string(secretArgument)]), grant: grant, session: session,
                headers: [("MCP-Protocol-Version", "2025-06-18"), ("traceparent", "00-\(Self.agentTraceID)-\(Self.agentSpanID)-01")])
            #expect(call.status == 200)
            // A graceful stop exports what the batch still holds.
            try await worker.stop()

            let spans = try receiver.spans
            let span = try #require(spans.first { $0.name == "mcp tools/call" }, "spans: \(spans.map(\.name))")
            #expect(span.traceID.hex == Self.agentTraceID)
            #expect(span.parentSpanID.hex == Self.agentSpanID)
            #expect(span.attributes["mcp.method.name"] == "tools/call")
            #expect(span.attributes["gen_ai.tool.name"] == "echo")
            #expect(span.attributes["portcullis.decision"] == "allow")
            #expect(span.attributes["portcullis.server.id"] == grant.serverID.uuidString.lowercased())
            #expect(span.attributes["portcullis.policy.version"] == "1")
            #expect(span.attributes["portcullis.account.id"] != nil)

            let child = try #require(spans.first { $0.parentSpanID == span.spanID }, "no child span of the request span")
            #expect(child.name == "upstream POST")
            #expect(child.traceID == span.traceID)
            let seen = try #require(upstream.received.last { $0.jsonRPCMethod == "tools/call" })
            #expect(seen.header("traceparent") == "00-\(Self.agentTraceID)-\(child.spanID.hex)-01")

            let exported = receiver.exported.flatMap { $0 }
            for secret in [grant.token, session, secretArgument] {
                #expect(!Self.contains(exported, secret), "an exported span holds \(secret.prefix(12))…")
            }
        }
    }

    @Test func anAPIRequestIsOneSpanNamedAfterItsRouteWithoutTheKey() async throws {
        let receiver = try await OTLPReceiver.start()
        defer { Task { await receiver.stop() } }
        try await GatewayHarness.with { harness in
            let traced = try await ControlPlaneFixture.start(
                conninfo: harness.conninfo, arguments: ["--secret-keys", harness.secretKeys, "--otel-endpoint", receiver.endpoint])
            let (status, _) = try await traced.call(.GET, "/v1/servers", apiKey: harness.apiKey)
            #expect(status == 200)
            try await traced.stop()

            let spans = try receiver.spans
            let span = try #require(spans.first { $0.name == "/v1/servers" }, "spans: \(spans.map(\.name))")
            #expect(span.attributes["http.route"] == "/v1/servers")
            #expect(span.attributes["http.response.status_code"] == "200")
            #expect(!Self.contains(receiver.exported.flatMap { $0 }, harness.apiKey), "an exported span holds the API key")
        }
    }

    @Test func untracedTheAgentsTraceparentReachesTheUpstreamUnchanged() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init())
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: Self.policy)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)
            let traceparent = "00-\(Self.agentTraceID)-\(Self.agentSpanID)-01"
            let call = try await worker.post(toolCall(1, "echo", [:]), grant: grant, headers: [("traceparent", traceparent)])
            #expect(call.status == 200)
            #expect(upstream.received.last { $0.jsonRPCMethod == "tools/call" }?.header("traceparent") == traceparent)
        }
    }

    @Test func tracingSettingsThatCannotWorkAreRefusedAtStartUp() async throws {
        let serve = ["\(builtProductsFolder())/gateway", "serve", "--counters", "memory", "--port", "\(try freeLoopbackPort())"]
            + GatewayHarness.standaloneArguments()
        let ratio = #expect(throws: ChildProcessError.self) {
            try ChildProcess.run(serve + ["--otel-endpoint", "http://127.0.0.1:4318", "--otel-sampling-ratio", "2"])
        }
        #expect(ratio?.description.contains("--otel-sampling-ratio must be between 0 and 1") == true)
        let scheme = #expect(throws: ChildProcessError.self) { try ChildProcess.run(serve + ["--otel-endpoint", "collector:4318"]) }
        #expect(scheme?.description.contains("must be an http:// or https:// URL") == true)
        // Without the check, swift-otel would stop the process with a fatalError.
        let grpc = try ChildProcess.spawn(serve + ["--otel-endpoint", "http://127.0.0.1:4317"], environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
        defer { grpc.removeOutput() }
        #expect(try await grpc.waitForExit(timeout: .seconds(15)) == .exited(64))
        #expect(grpc.output.contains("only OTLP/HTTP is built in"))
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let needle = Array(needle.utf8)
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in haystack[start..<start + needle.count].elementsEqual(needle) }
    }
}
