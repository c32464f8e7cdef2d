import Logging
import NIOPosix

/// A notification delivered by PostgreSQL's `NOTIFY`.
public struct DatabaseNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
    public let senderPID: Int32
}

/// What a listener reports: a notification, or that `LISTEN` is (again) in force.
///
/// `.listening` comes first and after every reconnect: notifications sent while the connection
/// was down are lost, so a consumer re-reads the state it follows whenever it sees it.
public enum ListenEvent: Sendable, Equatable {
    case listening
    case notification(DatabaseNotification)
}

/// `LISTEN` on a connection of its own, as an `AsyncSequence`. Each iterator opens its connection
/// on first use, waits on it from a private thread, and after a failure reconnects with backoff
/// and listens again. Iteration ends when the consuming task is cancelled.
public struct NotificationListener: AsyncSequence, Sendable {
    public typealias Element = ListenEvent

    let conninfo: String
    let channels: [String]
    let logger: Logger

    public func makeAsyncIterator() -> Iterator {
        Iterator(listener: self)
    }

    public struct Iterator: AsyncIteratorProtocol {
        private let listener: NotificationListener
        private let connection: ListenerConnection
        private var buffered: [DatabaseNotification] = []
        private var isListening = false
        private var backoff = ReconnectBackoff()

        init(listener: NotificationListener) {
            self.listener = listener
            self.connection = ListenerConnection(conninfo: listener.conninfo)
        }

        public mutating func next() async throws -> ListenEvent? {
            while !Task.isCancelled {
                if !buffered.isEmpty { return .notification(buffered.removeFirst()) }
                do {
                    if !isListening {
                        try await connection.listen(listener.channels)
                        isListening = true
                        backoff.reset()
                        return .listening
                    }
                    // A short wait keeps cancellation prompt without a wake-up pipe.
                    buffered = try await connection.awaitNotifications(timeout: .milliseconds(250))
                } catch is CancellationError {
                    return nil
                } catch {
                    isListening = false
                    let pause = backoff.nextDelay()
                    listener.logger.warning("listen connection lost; reconnecting", metadata: [
                        "db.error": "\(error)", "db.retry_in_ms": "\(pause.wholeMilliseconds)",
                    ])
                    try? await Task.sleep(for: pause)
                }
            }
            return nil
        }
    }
}

/// The connection and thread one listener iterator owns; closed when the iterator goes away.
final class ListenerConnection: Sendable {
    private let connection: PostgresConnection
    private let thread: NIOThreadPool

    init(conninfo: String) {
        connection = PostgresConnection(conninfo: conninfo)
        thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
    }

    deinit {
        let connection = self.connection
        thread.submit { _ in connection.close() }
        thread.shutdownGracefully { _ in }
    }

    func listen(_ channels: [String]) async throws {
        try await thread.runIfActive { [connection] in
            connection.close()
            try connection.ensureReady()
            for channel in channels {
                try connection.execute(SQLQuery(unsafeSQL: "LISTEN \(quotedIdentifier(channel))"))
            }
        }
    }

    func awaitNotifications(timeout: Duration) async throws -> [DatabaseNotification] {
        try await thread.runIfActive { [connection] in try connection.awaitNotifications(timeout: timeout) }
    }
}

/// `LISTEN` takes an identifier, not a bind parameter, so the channel name is quoted here.
func quotedIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
