@testable import Gateway
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Shared
import Testing

/// Issue 11 item 4, on a bare Hummingbird app with the gateway's server: a request stays on the
/// event loop that read it, a known-length answer leaves in one write, and the body-read deadline
/// is an event-loop task that answers and then ends the connection.
struct ConnectionLoopTests {
    @Test(.timeLimit(.minutes(1)))
    func aRequestRunsOnTheEventLoopThatReadItAcrossAwaits() async throws {
        let router = Router(context: GatewayRequestContext.self)
        router.get("/where") { _, context -> String in
            let before = context.connection.eventLoop.inEventLoop
            try await Task.sleep(for: .milliseconds(1))
            let after = context.connection.eventLoop.inEventLoop
            return "\(before) \(after)"
        }
        let app = Application(router: router, server: .http1OnConnectionLoop(idleTimeout: nil))
        try await app.test(.live) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/where", method: .get) { response in
                    #expect(String(buffer: response.body) == "true true")
                }
            }
        }
    }

    @Test func aKnownLengthHeadIsSentWithItsBody() throws {
        let channel = EmbeddedChannel(handler: ResponseFlushCoalescer())
        var head = HTTPResponse(status: .ok)
        head.headerFields[.contentLength] = "2"
        channel.write(HTTPResponsePart.head(head), promise: nil)
        channel.flush()
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == nil, "the head waits for its body")

        channel.write(HTTPResponsePart.body(ByteBuffer(string: "{}")), promise: nil)
        channel.flush()
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == .head(head))
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == .body(ByteBuffer(string: "{}")))
        channel.write(HTTPResponsePart.end(nil), promise: nil)
        channel.flush()
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == .end(nil))
    }

    @Test func aWholeResponseWrittenAtOnceIsFlushed() throws {
        let channel = EmbeddedChannel(handler: ResponseFlushCoalescer())
        var head = HTTPResponse(status: .ok)
        head.headerFields[.contentLength] = "0"
        channel.write(HTTPResponsePart.head(head), promise: nil)
        channel.write(HTTPResponsePart.end(nil), promise: nil)
        channel.flush()
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == .head(head))
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == .end(nil))
    }

    @Test func aStreamedAnswersHeadIsSentAtOnce() throws {
        let channel = EmbeddedChannel(handler: ResponseFlushCoalescer())
        let head = HTTPResponse(status: .ok, headerFields: [.contentType: "text/event-stream"])
        channel.write(HTTPResponsePart.head(head), promise: nil)
        channel.flush()
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == .head(head), "a client sees its stream open before the first event")
    }

    @Test(.timeLimit(.minutes(1)))
    func aBodyTrickledPastTheDeadlineIsAnsweredAndItsConnectionClosed() async throws {
        let router = Router(context: GatewayRequestContext.self)
        router.post("/upload") { request, context -> Response in
            do {
                _ = try await request.collectBody(upTo: 1 << 20, within: .milliseconds(200), on: context.connection)
                return Response(status: .ok)
            } catch is TimeoutExceeded {
                return Response(status: .requestTimeout, body: ResponseBody(byteBuffer: ByteBuffer(string: "late")))
            }
        }
        let app = Application(router: router, server: .http1OnConnectionLoop(idleTimeout: nil))
        try await app.test(.live) { client in
            let received = try await slowlorisRequest(
                port: try #require(client.port), head: "POST /upload HTTP/1.1\r\nHost: gateway\r\nContent-Length: 100000\r\n\r\n",
                bodyStart: "{")
            #expect(received.hasPrefix("HTTP/1.1 408"), "\(received)")
            #expect(received.hasSuffix("late"))
        }
    }
}
