/// One event of a `text/event-stream` body, as the WHATWG HTML standard defines dispatching it.
public struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field, `message` when absent.
    public var type: String
    /// The `data:` lines joined with LF. Kept as bytes: MCP puts JSON here and the strict parser
    /// must see exactly what was sent (the standard's lossy UTF-8 decoding would hide bad bytes).
    public var data: [UInt8]
    /// The last `id:` seen on the stream so far (what `Last-Event-ID` resumes from).
    public var lastEventID: String?

    public init(type: String = "message", data: [UInt8], lastEventID: String? = nil) {
        self.type = type
        self.data = data
        self.lastEventID = lastEventID
    }

    public var dataText: String { String(decoding: data, as: UTF8.self) }
}

public struct ServerSentEventError: Error, Hashable, CustomStringConvertible {
    public let maxEventBytes: Int
    public var description: String { "server-sent event larger than \(maxEventBytes) bytes, or no event delimiter" }
}
