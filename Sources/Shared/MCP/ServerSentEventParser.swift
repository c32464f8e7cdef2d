/// Splits a `text/event-stream` body into events as the bytes arrive, in any chunking.
///
/// Follows the WHATWG "event stream interpretation": lines end in CR, LF or CRLF (a CRLF split
/// across two chunks is still one line end), `:` lines are comments, one space after the colon is
/// dropped, `data:` lines accumulate, a blank line dispatches, an event without data is not
/// dispatched, and an unfinished event at the end of the stream is discarded.
public struct ServerSentEventParser: Sendable {
    /// design.md §5.9: a single event over 8 MiB, or a stream that never sends a delimiter, is an error
    /// rather than unbounded buffering.
    public static let defaultMaxEventBytes = 8 << 20

    public let maxEventBytes: Int
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var type: String?
    private var lastEventID: String?
    private var previousWasCR = false
    private var atStreamStart = true

    public init(maxEventBytes: Int = ServerSentEventParser.defaultMaxEventBytes) {
        self.maxEventBytes = maxEventBytes
    }

    /// The events completed by `bytes`, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(ServerSentEventError) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n") where previousWasCR:
                previousWasCR = false
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                previousWasCR = byte == UInt8(ascii: "\r")
                if let event = endLine() { events.append(event) }
            default:
                previousWasCR = false
                line.append(byte)
                guard line.count + data.count <= maxEventBytes else { throw ServerSentEventError(maxEventBytes: maxEventBytes) }
            }
        }
        return events
    }

    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if atStreamStart {
            atStreamStart = false
            // A UTF-8 byte order mark may open the stream.
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        if line.isEmpty { return dispatch() }
        if line.first == UInt8(ascii: ":") { return nil }
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let name = line[..<(colon ?? line.endIndex)]
        var value = colon.map { line[($0 + 1)...] } ?? []
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        switch String(decoding: name, as: UTF8.self) {
        case "data":
            if hasData { data.append(UInt8(ascii: "\n")) }
            data.append(contentsOf: value)
            hasData = true
        case "event":
            type = String(decoding: value, as: UTF8.self)
        case "id" where !value.contains(0):
            lastEventID = String(decoding: value, as: UTF8.self)
        default:
            // `retry` only matters to a reconnecting browser; unknown fields are ignored by rule.
            break
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            type = nil
        }
        guard hasData else { return nil }
        let eventType = type.flatMap { $0.isEmpty ? nil : $0 } ?? "message"
        return ServerSentEvent(type: eventType, data: data, lastEventID: lastEventID)
    }
}
