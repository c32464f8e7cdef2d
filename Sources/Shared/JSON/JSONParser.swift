/// A strict RFC 8259 parser for JSON the project did not write itself (MCP messages, tool
/// arguments, policy documents, tool schemas).
///
/// Strict where leniency would let two readers disagree about one message (design.md §5.9): duplicate
/// keys, invalid UTF-8 and lone surrogate escapes are errors rather than "last wins" or U+FFFD,
/// and nesting is capped so a hostile body cannot exhaust the stack. It reads raw bytes, never
/// builds strings character by character, and only copies a string when it contains escapes.
public struct JSONParser: Sendable {
    public static let defaultMaxDepth = 64

    /// Deepest allowed nesting of arrays and objects; a top-level `[]` has depth 1.
    public var maxDepth: Int
    /// Most elements a top-level array may hold (a JSON-RPC batch); nil for no bound. Issue 10
    /// item 26: the parser stops where the first element beyond it begins, so a batch over its cap
    /// costs the cap's worth of parsing before it is refused, not the whole body's.
    public var maxTopLevelElements: Int?

    public init(maxDepth: Int = JSONParser.defaultMaxDepth, maxTopLevelElements: Int? = nil) {
        self.maxDepth = maxDepth
        self.maxTopLevelElements = maxTopLevelElements
    }

    public func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw JSONParseError(.empty, at: 0, "empty input")
        }
        var reader = JSONByteReader(
            base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count, maxDepth: maxDepth,
            maxTopLevelElements: maxTopLevelElements ?? .max)
        reader.skipWhitespace()
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        guard reader.position == reader.count else {
            throw JSONParseError(.trailingData, at: reader.position, "unexpected data after the JSON value")
        }
        return value
    }

    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        do {
            return try bytes.withUnsafeBytes { buffer in try parse(buffer) }
        } catch let error as JSONParseError {
            throw error
        } catch {
            preconditionFailure("parse throws only JSONParseError")
        }
    }

    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

extension JSONValue {
    /// Parses with the default limits.
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try JSONParser().parse(bytes)
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONParser().parse(text)
    }
}
