import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Shared

/// Carries an upstream answer back to the agent (SPEC 5.2, 5.9). SSE answers are parsed event by
/// event as they arrive and written on at once, never buffered whole; an event over the limit, or
/// a stream that never ends an event, is cut with a JSON-RPC error event. A JSON answer streams
/// through untouched unless the gateway must rewrite it (`tools/list` filtering, batch merging),
/// in which case it is read up to the same limit first.
struct UpstreamRelay: Sendable {
    /// What to change on the way back.
    struct Plan: Sendable {
        /// Applied to every JSON-RPC message coming back; nil relays them unchanged.
        var rewrite: (@Sendable (JSONValue) -> JSONValue)?
        /// Answers the gateway made itself for part of a batch, merged into the upstream's.
        var gatewayAnswers: [JSONValue] = []
        /// The request a cut stream's error event answers; nil for a GET stream.
        var requestID: JSONRPCID?
        /// Keep the JSON-RPC response answering `requestID` (if it is at most `answerCaptureBytes`):
        /// a `tools/call` gives its counters back on an error, and may audit its result.
        var capturesAnswer = false

        /// Whether a JSON answer must be read whole rather than streamed through.
        var readsBody: Bool { rewrite != nil || !gatewayAnswers.isEmpty }
    }

    /// How the body went, for the audit row.
    struct Outcome: Sendable {
        var bytesOut: Int64 = 0
        /// Why the body was cut short, if it was.
        var failure: String?
        /// The response answering the request (only with `capturesAnswer`).
        var answer: JSONValue?
    }

    let maxEventBytes: Int
    let metrics: GatewayMetrics
    /// Answers larger than this are relayed but not kept: errors are a code and a message, and an
    /// audit row is no place for a large result.
    static let answerCaptureBytes = 64 << 10

    /// The response toward the agent; `finished` runs once the body has been written.
    func response(
        for answer: UpstreamClient.Answer, headers: HTTPFields, plan: Plan, finished: @escaping @Sendable (Outcome) async -> Void
    ) -> Response {
        let status = HTTPResponse.Status(code: answer.status)
        if Self.isEventStream(answer.headers) {
            return Response(status: status, headers: headers, body: ResponseBody { writer in
                let outcome = try await metrics.withOpenStream { try await writeEvents(of: answer, plan: plan, into: &writer) }
                try await writer.finish(nil)
                await finished(outcome)
            })
        }
        if plan.readsBody, answer.status == 200 || answer.status == 202 {
            var headers = headers
            headers[.contentType] = GatewayAnswers.jsonContentType
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                var outcome = Outcome()
                let merged: JSONValue
                do {
                    merged = try await rewrittenJSON(of: answer, plan: plan)
                    outcome.answer = Self.response(in: merged, answering: plan)
                } catch {
                    merged = cutAnswer(plan, reason: "\(error)").jsonValue
                    outcome.failure = "\(error)"
                }
                let bytes = merged.serializedBytes()
                outcome.bytesOut = Int64(bytes.count)
                try await writer.write(ByteBuffer(bytes: bytes))
                try await writer.finish(nil)
                await finished(outcome)
            })
        }
        return Response(status: status, headers: headers, body: ResponseBody { writer in
            var outcome = Outcome()
            // Streamed through as it arrives; a copy of the start is kept for `capturesAnswer`.
            var start: [UInt8] = []
            do {
                for try await chunk in answer.body {
                    outcome.bytesOut += Int64(chunk.readableBytes)
                    if plan.capturesAnswer, start.count <= Self.answerCaptureBytes { start += chunk.readableBytesView }
                    try await writer.write(chunk)
                }
            } catch {
                outcome.failure = UpstreamFailure(error).reason
            }
            if plan.capturesAnswer, start.count <= Self.answerCaptureBytes, let message = try? JSONParser().parse(start) {
                outcome.answer = Self.response(in: message, answering: plan)
            }
            try await writer.finish(nil)
            await finished(outcome)
        })
    }

    /// Writes the answer as SSE events on a stream the gateway already opened (a held approval):
    /// a JSON answer becomes one `message` event.
    func writeEvents(of answer: UpstreamClient.Answer, plan: Plan, into writer: inout any ResponseBodyWriter) async throws -> Outcome {
        var outcome = Outcome()
        for extra in plan.gatewayAnswers {
            outcome.bytesOut += try await write(ServerSentEvent(message: extra).encoded(), to: &writer)
        }
        guard Self.isEventStream(answer.headers) else {
            let message: JSONValue
            do {
                message = answer.status == 202 && !plan.readsBody
                    ? .null : try await rewrittenJSON(of: answer, plan: Plan(rewrite: plan.rewrite, requestID: plan.requestID))
                outcome.answer = Self.response(in: message, answering: plan)
            } catch {
                message = cutAnswer(plan, reason: "\(error)").jsonValue
                outcome.failure = "\(error)"
            }
            if !message.isNull {
                outcome.bytesOut += try await write(ServerSentEvent(message: message).encoded(), to: &writer)
            }
            return outcome
        }
        var parser = ServerSentEventParser(maxEventBytes: maxEventBytes)
        do {
            for try await chunk in answer.body {
                for var event in try parser.feed(chunk.readableBytesView) {
                    if plan.rewrite != nil || plan.capturesAnswer, let message = try? JSONParser().parse(event.data) {
                        if event.data.count <= Self.answerCaptureBytes, let answer = Self.response(in: message, answering: plan) {
                            outcome.answer = answer
                        }
                        if let rewrite = plan.rewrite { event.data = Self.map(message, rewrite).serializedBytes() }
                    }
                    outcome.bytesOut += try await write(event.encoded(), to: &writer)
                }
            }
        } catch let error as ServerSentEventError {
            outcome.failure = error.description
            outcome.bytesOut += try await write(ServerSentEvent(message: cutAnswer(plan, reason: error.description).jsonValue).encoded(), to: &writer)
        } catch {
            let reason = UpstreamFailure(error).reason
            outcome.failure = reason
            outcome.bytesOut += try await write(ServerSentEvent(message: cutAnswer(plan, reason: reason).jsonValue).encoded(), to: &writer)
        }
        return outcome
    }

    private func write(_ buffer: ByteBuffer, to writer: inout any ResponseBodyWriter) async throws -> Int64 {
        let count = Int64(buffer.readableBytes)
        try await writer.write(buffer)
        return count
    }

    /// The JSON answer read whole (within the event limit), rewritten and merged with the gateway's answers.
    private func rewrittenJSON(of answer: UpstreamClient.Answer, plan: Plan) async throws -> JSONValue {
        let buffer = try await answer.body.collect(upTo: maxEventBytes)
        var upstream: [JSONValue] = []
        if buffer.readableBytes > 0 {
            let value = try JSONParser().parse(Array(buffer.readableBytesView))
            let mapped = plan.rewrite.map { Self.map(value, $0) } ?? value
            if plan.gatewayAnswers.isEmpty { return mapped }
            upstream = mapped.arrayValue ?? [mapped]
        }
        return .array(plan.gatewayAnswers + upstream)
    }

    private static func map(_ value: JSONValue, _ rewrite: (JSONValue) -> JSONValue) -> JSONValue {
        if let elements = value.arrayValue { return .array(elements.map(rewrite)) }
        return rewrite(value)
    }

    private static func response(in message: JSONValue, answering plan: Plan) -> JSONValue? {
        guard plan.capturesAnswer, let id = plan.requestID else { return nil }
        return (message.arrayValue ?? [message]).first {
            $0["id"].flatMap(JSONRPCID.init) == id && ($0["result"] != nil || $0["error"] != nil)
        }
    }

    private func cutAnswer(_ plan: Plan, reason: String) -> JSONRPCResponse {
        JSONRPCResponse(id: plan.requestID, outcome: .error(GatewayAnswers.upstreamUnavailableError("answer cut off: \(reason)")))
    }

    static func isEventStream(_ headers: HTTPHeaders) -> Bool {
        headers.first(name: "content-type")?.lowercased().hasPrefix(GatewayAnswers.sseContentType) == true
    }
}
