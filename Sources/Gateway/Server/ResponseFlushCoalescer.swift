import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Sends a response whose length is known in one write syscall, head and body together (issue 11
/// item 4). Hummingbird writes and flushes the head, then the body, then the end, each as its own
/// write; here the flush right after a head that carries `Content-Length` is held back, so the
/// body's flush sends both. A streamed answer (SSE, or an upstream error relayed as it comes)
/// announces no length and its head goes out at once, so a client sees a stream open before its
/// first event.
final class ResponseFlushCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The last part written is a known-length head whose body has not been written yet.
    private var headAwaitsBody = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            headAwaitsBody = head.status.kind != .informational && head.headerFields[.contentLength] != nil
        case .body, .end:
            headAwaitsBody = false
        }
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        // The body (or the end of an empty one) is written next, and its flush sends the head too.
        guard !headAwaitsBody else { return }
        context.flush()
    }
}
