import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 channel, with each connection's handler task kept on the connection's
/// event loop (`EventLoopTaskExecutor`, issue 11 item 4). Hummingbird starts every connection's
/// task on the global executor, which then hops to the loop for each read and write; with the
/// preference set once per connection, every request on it runs where its bytes arrive.
struct ConnectionLoopChannel: ServerChildChannel {
    let http1: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        http1.setup(channel: channel, logger: logger)
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await http1.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// `.http1(configuration:)` on the connection's event loop (`ConnectionLoopChannel`), with
    /// known-length answers written in one syscall (`ResponseFlushCoalescer`).
    static func http1OnConnectionLoop(idleTimeout: TimeAmount?) -> HTTPServerBuilder {
        .init { responder in
            ConnectionLoopChannel(http1: HTTP1Channel(
                responder: responder,
                configuration: .init(additionalChannelHandlers: [ResponseFlushCoalescer()], idleTimeout: idleTimeout)))
        }
    }
}
