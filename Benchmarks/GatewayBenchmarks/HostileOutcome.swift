import Foundation
import JSON
import NIOCore
import Shared

/// Names what the gateway answered A, per JSON-RPC message, in words the report prints:
/// `answered`, `denied <decision code>`, `JSON-RPC error <code>`, `HTTP <status>`.
enum HostileOutcome {
    /// Bodies larger than this are not parsed (the huge tools/list answers): the benchmark's own
    /// CPU runs B's client too. Their first bytes still tell a result from an error.
    static let parsedBytes = 1 << 20

    static func classify(status: UInt, contentType: String?, body: ByteBuffer) -> [String] {
        guard status == 200 else {
            let code = (try? JSONParser().parse(Array(body.readableBytesView.prefix(parsedBytes))))?["error"]?["code"]?.numberValue?.int64Value
            return ["HTTP \(status)" + (code.map { " (JSON-RPC error \($0))" } ?? "")]
        }
        if body.readableBytes > parsedBytes {
            let head = String(decoding: body.readableBytesView.prefix(256), as: UTF8.self)
            let mebibytes = String(format: "%.1f MiB", Double(body.readableBytes) / Double(1 << 20))
            return [head.contains(#""result""#) ? "answered (\(mebibytes))" : "unparsed answer of \(mebibytes)"]
        }
        let bytes = Array(body.readableBytesView)
        let isEventStream = contentType?.lowercased().hasPrefix("text/event-stream") == true
        // A held call answers in SSE: keep-alive comments, then the message as the last `data:` line.
        let payload = isEventStream ? lastEventData(bytes) : bytes
        guard let message = try? JSONParser().parse(payload) else { return ["unparseable answer"] }
        return (message.arrayValue ?? [message]).map(classify)
    }

    private static func classify(_ message: JSONValue) -> String {
        if let error = message["error"] {
            return "JSON-RPC error \(error["code"]?.numberValue?.int64Value.map(String.init) ?? "?")"
        }
        guard let result = message["result"] else { return "neither result nor error" }
        guard result["isError"]?.boolValue == true else { return "answered" }
        if let code = result["_meta"]?["portcullis/decision"]?["code"]?.stringValue { return "denied \(code)" }
        return "tool error"
    }

    private static func lastEventData(_ bytes: [UInt8]) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        let data = text.split(whereSeparator: \.isNewline).last(where: { $0.hasPrefix("data:") })
        return Array((data?.dropFirst(5) ?? "").utf8)
    }
}
