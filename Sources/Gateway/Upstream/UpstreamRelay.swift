import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOCore
import NIOHTTP1
import Shared

/// Carries an upstream answer back to the agent (design.md §5.2, §5.9). SSE answers are parsed event by
/// event as they arrive and written on at once, never buffered whole; an event over the limit, one
/// that is not JSON, or a stream that never ends an event, is cut with a JSON-RPC error event. A
/// 2xx JSON answer is read whole up to the same limit, rewritten, then written; HTTP errors stream
/// through. A message the rewrite leaves alone goes on as the upstream's own bytes; large ones are
/// parsed and rewritten on the `AnswerRewritePool` (issue 10 item 26).
struct UpstreamRelay: Sendable {
    /// What to change on the way back.
    struct Plan: Sendable {
        /// Applied to every JSON-RPC message coming back; nil (or a nil result: nothing to change)
        /// relays them as they came.
        var rewrite: (@Sendable (JSONValue) -> JSONValue?)?
        /// The account the answer is for: large answers are rewritten in its turn (`AnswerRewritePool`).
        var account: UUID?
        /// Answers the gateway made itself for part of a batch, merged into the upstream's.
        var gatewayAnswers: [JSONValue] = []
        /// The request a cut stream's error event answers; nil for a GET stream.
        var requestID: JSONRPCID?
        /// Keep the JSON-RPC response answering `requestID` (if it is at most `answerCaptureBytes`):
        /// a `tools/call` gives its counters back on an error, and may audit its result.
        var capturesAnswer = false
        /// The request includes a `tools/list`: an answer that cannot be read leaves the server's
        /// live definitions unknown (`LiveToolDefinitions.listing`).
        var listsTools = false

    }

    /// How the body went, for the audit row.
    struct Outcome: Sendable {
        var bytesOut: Int64 = 0
        /// Why the body was cut short, if it was.
        var failure: String?
        /// The response answering the request (only with `capturesAnswer`).
        var answer: JSONValue?
        /// The agent closed the connection before the whole answer was written.
        var agentWentAway = false

        /// Writing to the agent failed: that is the failure, unless the upstream's came first.
        mutating func noteAgentWentAway() {
            failure = failure ?? "the agent closed the connection before the whole answer was written"
            agentWentAway = true
        }
    }

    let maxEventBytes: Int
    let metrics: GatewayMetrics
    let rewritePool: AnswerRewritePool
    /// Answers larger than this are relayed but not kept: errors are a code and a message, and an
    /// audit row is no place for a large result.
    static let answerCaptureBytes = 64 << 10

    /// The response toward the agent; `finished` runs once the body has been written, or once the
    /// agent went away mid-answer (issue 10 item 4: the call's `response` row is still written).
    ///
    /// Issue 10 item 7: every 2xx answer is read as MCP messages and rewritten, whatever the request
    /// was: an SSE event by event, a JSON answer whole (within the event limit). A hostile upstream
    /// may answer any request, or send on a GET stream, a `tools/list` result under any id, so the
    /// rewrite (tool list filtering) applies to every message; and what does not parse is cut.
    func response(
        for answer: UpstreamClient.Answer, headers: HTTPFields, plan: Plan, finished: @escaping @Sendable (Outcome) async -> Void
    ) async -> Response {
        let status = HTTPResponse.Status(code: answer.status)
        if Self.isEventStream(answer.headers) {
            return Response(status: status, headers: headers, body: ResponseBody { writer in
                try await Self.reporting(to: finished) { outcome in
                    try await metrics.withOpenStream { try await writeEvents(of: answer, plan: plan, into: &writer, outcome: &outcome) }
                    try await writer.finish(nil)
                }
            })
        }
        guard (200..<300).contains(answer.status) else {
            // An HTTP error is not read as MCP messages by clients: relayed as it comes.
            return Response(status: status, headers: headers, body: ResponseBody { writer in
                try await Self.reporting(to: finished) { outcome in
                    try await streamThrough(answer, plan: plan, into: &writer, outcome: &outcome)
                    try await writer.finish(nil)
                }
            })
        }
        var read = Outcome()
        let messages = await readMessages(of: answer, plan: plan, outcome: &read)
        let answered = read
        guard let messages else {
            // 202 (or an empty 2xx) for notifications and responses: nothing to relay.
            return Response(status: status, headers: headers, body: ResponseBody(contentLength: 0) { writer in
                try await Self.reporting(to: finished, from: answered) { _ in try await writer.finish(nil) }
            })
        }
        var jsonHeaders = headers
        jsonHeaders[.contentType] = GatewayAnswers.jsonContentType
        let bytes = ByteBuffer(bytes: messages)
        // Its length is known: sent with `Content-Length` in one write, not re-chunked (issue 11 item 4).
        return Response(status: .ok, headers: jsonHeaders, body: ResponseBody(contentLength: bytes.readableBytes) { writer in
            try await Self.reporting(to: finished, from: answered) { outcome in
                outcome.bytesOut += try await write(bytes, to: &writer)
                try await writer.finish(nil)
            }
        })
    }

    /// Runs `write`, then hands its outcome to `finished` even when writing failed (the agent
    /// closed the connection): the audit row then says so.
    private static func reporting(
        to finished: @Sendable (Outcome) async -> Void, from start: Outcome = Outcome(), _ write: (inout Outcome) async throws -> Void
    ) async throws {
        var outcome = start
        do {
            try await write(&outcome)
        } catch {
            outcome.noteAgentWentAway()
            await finished(outcome)
            throw error
        }
        await finished(outcome)
    }

    /// A non-2xx answer, streamed through as it arrives; a copy of the start is kept for `capturesAnswer`.
    private func streamThrough(
        _ answer: UpstreamClient.Answer, plan: Plan, into writer: inout any ResponseBodyWriter, outcome: inout Outcome
    ) async throws {
        var start: [UInt8] = []
        var chunks = answer.body.makeAsyncIterator()
        while true {
            let chunk: ByteBuffer
            do {
                guard let next = try await chunks.next() else { break }
                chunk = next
            } catch {
                outcome.failure = Self.reason(error)
                break
            }
            if plan.capturesAnswer, start.count <= Self.answerCaptureBytes { start += chunk.readableBytesView }
            outcome.bytesOut += try await write(chunk, to: &writer)
        }
        if plan.capturesAnswer, start.count <= Self.answerCaptureBytes, let message = try? JSONParser().parse(start) {
            outcome.answer = Self.response(in: message, answering: plan)
        }
    }

    /// A 2xx JSON answer read whole, rewritten and merged with the gateway's answers, as the bytes
    /// to send; nil when there is nothing to relay (an empty body and no gateway answers). An answer
    /// that cannot be read or parsed is replaced by the error that cuts it.
    private func readMessages(of answer: UpstreamClient.Answer, plan: Plan, outcome: inout Outcome) async -> [UInt8]? {
        do {
            let buffer = try await answer.body.collect(upTo: maxEventBytes)
            // A 202 carries no messages (MCP transport); whatever body a hostile one has is dropped.
            guard buffer.readableBytes > 0, answer.status != 202 else {
                return plan.gatewayAnswers.isEmpty ? nil : JSONValue.array(plan.gatewayAnswers).serializedBytes()
            }
            let message = try await rewrittenMessage(Array(buffer.readableBytesView), plan: plan)
            outcome.answer = message.answer
            return message.bytes
        } catch {
            let reason = error is NIOTooManyBytesError ? "an answer larger than \(maxEventBytes) bytes" : Self.reason(error)
            outcome.failure = reason
            let cut = cutAnswer(plan, reason: reason).jsonValue
            return (plan.gatewayAnswers.isEmpty ? cut : .array(plan.gatewayAnswers + [cut])).serializedBytes()
        }
    }

    /// Writes the answer as SSE events on a stream the gateway writes: an upstream SSE answer
    /// event by event (each must be a JSON-RPC message, issue 10 item 7), or a JSON answer as one
    /// `message` event (a call held for approval).
    func writeEvents(
        of answer: UpstreamClient.Answer, plan: Plan, into writer: inout any ResponseBodyWriter, outcome: inout Outcome
    ) async throws {
        for extra in plan.gatewayAnswers {
            outcome.bytesOut += try await write(ServerSentEvent(message: extra).encoded(), to: &writer)
        }
        var own = plan
        own.gatewayAnswers = []
        guard Self.isEventStream(answer.headers) else {
            if let message = await readMessages(of: answer, plan: own, outcome: &outcome) {
                outcome.bytesOut += try await write(ServerSentEvent(parsedJSON: message).encoded(), to: &writer)
            }
            return
        }
        var parser = ServerSentEventParser(maxEventBytes: maxEventBytes)
        var chunks = answer.body.makeAsyncIterator()
        while true {
            // Reading and parsing fail on the upstream's side (the stream is cut with an error
            // event); writing fails on the agent's (the error goes up).
            var events: [ServerSentEvent] = []
            do {
                guard let chunk = try await chunks.next() else { break }
                for event in try parser.feed(chunk.readableBytesView) { events.append(try await rewritten(event, plan: own, outcome: &outcome)) }
            } catch {
                let reason = Self.reason(error)
                outcome.failure = reason
                outcome.bytesOut += try await write(ServerSentEvent(message: cutAnswer(plan, reason: reason).jsonValue).encoded(), to: &writer)
                return
            }
            for event in events { outcome.bytesOut += try await write(event.encoded(), to: &writer) }
        }
    }

    /// One upstream event as it goes on: an empty one (a priming `id:`) carries no message;
    /// anything else must be a JSON message the strict parser accepts, or the stream is cut.
    private func rewritten(_ event: ServerSentEvent, plan: Plan, outcome: inout Outcome) async throws -> ServerSentEvent {
        guard !event.data.isEmpty else { return event }
        let message = try await rewrittenMessage(event.data, plan: plan)
        if let answer = message.answer { outcome.answer = answer }
        var event = event
        event.data = message.bytes
        return event
    }

    /// Why an upstream answer was cut, as the agent and the audit row read it.
    private static func reason(_ error: any Error) -> String {
        switch error {
        case let error as ServerSentEventError: error.description
        case let error as JSONParseError: "the upstream sent something that is not a JSON-RPC message (\(error.message))"
        default: UpstreamFailure(error).reason
        }
    }

    private func write(_ buffer: ByteBuffer, to writer: inout any ResponseBodyWriter) async throws -> Int64 {
        let count = Int64(buffer.readableBytes)
        try await writer.write(buffer)
        return count
    }

    static func response(in message: JSONValue, answering plan: Plan) -> JSONValue? {
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
