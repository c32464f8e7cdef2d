import JSON

/// A `tools` or `hide` key containing `*`, which matches any run of characters (design.md §4, ext).
///
/// Compiled once into its literal pieces and matched over UTF-8 bytes: the prefix and suffix are
/// anchored, the middle pieces are found left to right, which is exact for `*`-only globs.
public struct ToolNameGlob: Sendable, Equatable {
    public let pattern: String
    private let pieces: [[UInt8]]

    /// The count of literal (non-`*`) characters; "the most specific glob" is the one with the most.
    public var specificity: Int { pattern.unicodeScalars.count - (pieces.count - 1) }

    /// Glob precedence, a total order that depends on nothing but the two patterns (issue 10
    /// item 13): most literal characters first, then fewest `*` (the tighter pattern), then by
    /// UTF-8 bytes (code points). Two keys of one `tools` object always differ, so never a tie.
    public func precedes(_ other: ToolNameGlob) -> Bool {
        if specificity != other.specificity { return specificity > other.specificity }
        if pieces.count != other.pieces.count { return pieces.count < other.pieces.count }
        return pattern.utf8.lexicographicallyPrecedes(other.pattern.utf8)
    }

    public static func isGlob(_ key: String) -> Bool { key.utf8.contains(UInt8(ascii: "*")) }

    public init(_ pattern: String) {
        self.pattern = pattern
        pieces = pattern.utf8.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false).map(Array.init)
    }

    public func matches(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { matches(bytes: $0) }
    }

    func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let prefix = pieces[0], suffix = pieces[pieces.count - 1]
        guard bytes.count >= prefix.count + suffix.count,
              bytes.starts(with: prefix),
              bytes[(bytes.count - suffix.count)...].elementsEqual(suffix)
        else { return false }
        var cursor = prefix.count
        let end = bytes.count - suffix.count
        for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
            guard let found = Self.find(piece, in: bytes, from: cursor, to: end) else { return false }
            cursor = found + piece.count
        }
        return true
    }

    private static func find(_ piece: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from: Int, to end: Int) -> Int? {
        guard end - from >= piece.count else { return nil }
        for start in from...(end - piece.count) where bytes[start..<(start + piece.count)].elementsEqual(piece) {
            return start
        }
        return nil
    }
}
