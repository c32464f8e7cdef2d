import JSON

/// Text compared the way an upstream compares it: by code points, i.e. by UTF-8 bytes
/// (issue 10 item 23). Swift's `String ==` and `String` hashing use canonical equivalence, so the
/// precomposed "é" would equal "e\u{301}" for the gateway while the upstream (and PostgreSQL)
/// see two different tool names, values or keys: a policy must never judge a name or a value the
/// upstream reads differently.
public struct CodePointText: Hashable, Sendable, CustomStringConvertible {
    public let text: String

    public init(_ text: String) { self.text = text }

    public var description: String { text }

    public static func == (lhs: CodePointText, rhs: CodePointText) -> Bool {
        lhs.text.utf8.count == rhs.text.utf8.count && lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// A substring to look for in many texts, prepared once (Knuth-Morris-Pratt), so a search costs
/// time linear in the text whatever the needle: a hostile argument cannot make `contains` slow.
struct CodePointNeedle: Sendable {
    let bytes: [UInt8]
    /// `fallback[i]`: the length of the longest proper prefix of `bytes[...i]` that is also its suffix.
    private let fallback: [Int]

    init(_ text: String) {
        bytes = Array(text.utf8)
        var fallback = [Int](repeating: 0, count: bytes.count)
        var length = 0
        for index in bytes.indices.dropFirst() {
            while length > 0 && bytes[index] != bytes[length] { length = fallback[length - 1] }
            if bytes[index] == bytes[length] { length += 1 }
            fallback[index] = length
        }
        self.fallback = fallback
    }

    func isFound(in text: String) -> Bool {
        guard !bytes.isEmpty else { return true }
        var matched = 0
        for byte in text.utf8 {
            while matched > 0 && byte != bytes[matched] { matched = fallback[matched - 1] }
            if byte == bytes[matched] { matched += 1 }
            if matched == bytes.count { return true }
        }
        return false
    }
}
