import HTTPTypes
import Hummingbird
import JSON
import NIOConcurrencyHelpers
import NIOCore
import Shared

/// How the fake upstream puts JSON-RPC messages on the wire: JSON bodies, SSE events, and the
/// streams it holds open.
extension FakeMCPUpstream {
    static func result(id: JSONValue, _ result: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    static func errorMessage(id: JSONValue?, code: Int, _ message: String) -> JSONValue {
        ["jsonrpc": "2.0", "id": id ?? .null, "error": ["code": .number(JSONNumber(code)), "message": .string(message)]]
    }

    /// A real server sets a cookie now and then; the gateway must drop it (design.md §5.4).
    static let cookieHeader = HTTPField.Name("Set-Cookie")!

    static func sessionHeaders(_ session: String?) -> HTTPFields {
        var headers = HTTPFields()
        if let session { headers[sessionHeader] = session }
        headers[cookieHeader] = "fake_upstream=1; Path=/"
        return headers
    }

    static func sseHeaders(session: String?) -> HTTPFields {
        var headers = sessionHeaders(session)
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache, no-transform"
        return headers
    }

    static func jsonResponse(status: HTTPResponse.Status, _ message: JSONValue, session: String?) -> Response {
        var headers = sessionHeaders(session)
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: message.serializedBytes())))
    }

    /// An answer carrying `message`, as JSON or as one SSE event according to the mode.
    static func messageResponse(
        _ message: JSONValue, mode: Mode, session: String?, state: NIOLockedValueBox<State>, status: HTTPResponse.Status = .ok
    ) -> Response {
        switch mode {
        case .json:
            return jsonResponse(status: status, message, session: session)
        case .sse:
            let garbled = state.withLockedValue { $0.hostility.garbledEventFirst } ? garbledEvent : []
            return Response(status: status, headers: sseHeaders(session: session), body: .init(byteBuffer: ByteBuffer(bytes: garbled + sseEvent(message, state: state))))
        }
    }

    /// `event: message`, `id: N`, `data: <json>` and the blank line that ends the event.
    static func sseEvent(_ message: JSONValue, state: NIOLockedValueBox<State>) -> [UInt8] {
        let id = state.withLockedValue { state -> Int in
            state.eventCounter += 1
            return state.eventCounter
        }
        var event = Array("event: message\nid: \(id)\ndata: ".utf8)
        event += message.serializedBytes()
        event += Array("\n\n".utf8)
        return event
    }

    /// `data: ` and `bytes` bytes that never end the line, then nothing until the client leaves:
    /// the gateway must cut such a stream at its event limit (design.md §5.9).
    static func endlessEvent(bytes: Int, channel: any Channel, session: String?, state: NIOLockedValueBox<State>) -> Response {
        Response(status: .ok, headers: sseHeaders(session: session), body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "data: "))
            let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 << 10)
            var left = bytes
            while left > 0, channel.isActive, !state.withLockedValue({ $0.stopping }) {
                try await writer.write(left >= chunk.readableBytes ? chunk : chunk.getSlice(at: 0, length: left)!)
                left -= chunk.readableBytes
            }
            await holdUntilClosed(channel, state: state)
            try await writer.finish(nil)
        })
    }

    /// Waits until the client closes the connection or the server stops.
    static func holdUntilClosed(_ channel: any Channel, state: NIOLockedValueBox<State>) async {
        while channel.isActive, !state.withLockedValue({ $0.stopping }), !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
