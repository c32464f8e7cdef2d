import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import Shared

extension Request {
    /// The whole body, at most `limit` bytes (else `NIOTooManyBytesError`), or `TimeoutExceeded`
    /// once `timeout` has passed (design.md §5.9, issue 10 item 12: a client trickling a body byte by
    /// byte must not hold a handler).
    ///
    /// Issue 11 item 4: the deadline is a task scheduled on the connection's event loop, not a
    /// task group racing a sleeping task (two more tasks and a timer thread hop per request).
    /// When it fires it closes the connection's input: the body ends there, the answer is still
    /// written, and the connection closes after it instead of reading on whatever the client sends.
    func collectBody(upTo limit: Int, within timeout: Duration, on connection: any Channel) async throws -> ByteBuffer {
        let expired = NIOLockedValueBox(false)
        let deadline = connection.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
            expired.withLockedValue { $0 = true }
            connection.close(mode: .input).whenFailure { _ in connection.close(promise: nil) }
        }
        defer { deadline.cancel() }
        let collected: Result<ByteBuffer, any Error>
        do {
            collected = .success(try await body.collect(upTo: limit))
        } catch {
            collected = .failure(error)
        }
        // The input the deadline closed ends the body early, as if it were complete, or with the
        // HTTP parser's error for a body cut short.
        if expired.withLockedValue({ $0 }) { throw TimeoutExceeded() }
        return try collected.get()
    }
}
