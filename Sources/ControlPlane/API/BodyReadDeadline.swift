import Hummingbird
import NIOCore
import Shared

/// Reads every request body within `timeout` (issue 10 item 12), as the gateway does: a client
/// that trickles a body a byte at a time would otherwise hold a connection, and a handler, for as
/// long as it likes. The body is collected here (at most `maxUploadSize`, else 413) and handed on
/// in memory, so handlers read it as before.
struct BodyReadDeadline<Context: RequestContext>: RouterMiddleware {
    let timeout: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        let limit = context.maxUploadSize
        let body = request.body
        let buffer: ByteBuffer
        do {
            buffer = try await withTimeout(timeout) { try await body.collect(upTo: limit) }
        } catch is TimeoutExceeded {
            throw ProblemError(status: .requestTimeout, detail: "The request body did not arrive within \(timeout.components.seconds) s.")
        } catch is NIOTooManyBytesError {
            throw ProblemError(status: .contentTooLarge, detail: "The request body is larger than \(limit) bytes.")
        }
        request.body = .init(buffer: buffer)
        return try await next(request, context)
    }
}
