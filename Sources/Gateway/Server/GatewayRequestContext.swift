import Hummingbird
import NIOCore

/// Hummingbird's basic request context, plus the connection the request arrived on: the body-read
/// deadline is a task scheduled on the connection's event loop that ends the connection's input
/// (`Request.collectBody(upTo:within:on:)`, issue 11 item 4).
struct GatewayRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let connection: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = source.channel
    }
}
