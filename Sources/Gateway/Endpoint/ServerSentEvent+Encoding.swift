import JSON
import NIOCore
import Shared

extension ServerSentEvent {
    /// The event on the wire: `id:`, `event:` (unless the default `message`), one `data:` line per
    /// line of data, and the blank line that dispatches it.
    func encoded() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(data.count + 32)
        if let lastEventID { buffer.writeString("id: \(lastEventID)\n") }
        if type != "message" { buffer.writeString("event: \(type)\n") }
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            buffer.writeString("data: ")
            buffer.writeBytes(line)
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
        return buffer
    }

    /// One JSON-RPC message as a `message` event.
    init(message: JSONValue) {
        self.init(data: message.serializedBytes())
    }

    /// A JSON message as the upstream wrote it, as a `message` event. A CR would end an SSE line;
    /// in JSON the strict parser accepted, every raw CR is whitespace between tokens (control
    /// characters inside strings must be escaped), so dropping them keeps the message.
    init(parsedJSON bytes: [UInt8]) {
        self.init(data: bytes.filter { $0 != UInt8(ascii: "\r") })
    }

    /// An SSE comment: ignored by clients, it keeps proxies and idle timers from closing a held stream.
    static let keepAlive = ByteBuffer(string: ": keep-alive\n\n")
}
