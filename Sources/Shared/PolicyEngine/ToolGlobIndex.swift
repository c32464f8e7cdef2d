import JSON

/// Finds the winning glob for a tool name without trying every glob.
///
/// Globs are indexed by their literal prefix (or, for `*suffix` globs, by their literal suffix):
/// a name can only match globs whose prefix is one of the name's own prefixes. The lookup walks the
/// name's bytes once, hashing as it goes, and probes the table only at lengths some glob's prefix
/// has, so its cost depends on the name's length, not on the number of globs. Hash collisions are
/// harmless because every candidate is matched in full. Only globs with neither a prefix nor a
/// suffix (`*`, `*word*`) are tried one by one. Entries arrive in priority order (most specific
/// first), so the winner is the matching candidate with the lowest position.
struct ToolGlobIndex<Value: Sendable>: Sendable {
    private let entries: [(glob: ToolNameGlob, value: Value)]
    private let byPrefix: [UInt64: [Int]]
    /// `hasPrefixOfLength[n]` is true when some glob's literal prefix is `n` bytes long.
    private let hasPrefixOfLength: [Bool]
    private let bySuffix: [UInt64: [Int]]
    private let hasSuffixOfLength: [Bool]
    private let unindexed: [Int]

    init(_ entries: [(glob: ToolNameGlob, value: Value)]) {
        self.entries = entries
        var byPrefix: [UInt64: [Int]] = [:], bySuffix: [UInt64: [Int]] = [:]
        var prefixLengths: [Int] = [], suffixLengths: [Int] = []
        var unindexed: [Int] = []
        for (position, entry) in entries.enumerated() {
            let bytes = Array(entry.glob.pattern.utf8)
            let prefix = bytes.prefix { $0 != UInt8(ascii: "*") }
            let suffix = bytes.reversed().prefix { $0 != UInt8(ascii: "*") }
            if !prefix.isEmpty {
                byPrefix[Self.hash(prefix), default: []].append(position)
                prefixLengths.append(prefix.count)
            } else if !suffix.isEmpty {
                bySuffix[Self.hash(suffix), default: []].append(position)
                suffixLengths.append(suffix.count)
            } else {
                unindexed.append(position)
            }
        }
        self.byPrefix = byPrefix
        self.bySuffix = bySuffix
        self.unindexed = unindexed
        hasPrefixOfLength = Self.flags(prefixLengths)
        hasSuffixOfLength = Self.flags(suffixLengths)
    }

    func first(matching name: String) -> Value? {
        guard !entries.isEmpty else { return nil }
        var name = name
        let best = name.withUTF8 { bytes -> Int in
            var best = Int.max
            func consider(_ positions: [Int]) {
                for position in positions where position < best && entries[position].glob.matches(bytes: bytes) {
                    best = position
                }
            }
            var hash = Self.offsetBasis
            for length in 1..<min(hasPrefixOfLength.count, bytes.count + 1) {
                hash = Self.step(hash, bytes[length - 1])
                if hasPrefixOfLength[length], let positions = byPrefix[hash] { consider(positions) }
            }
            hash = Self.offsetBasis
            for length in 1..<min(hasSuffixOfLength.count, bytes.count + 1) {
                hash = Self.step(hash, bytes[bytes.count - length])
                if hasSuffixOfLength[length], let positions = bySuffix[hash] { consider(positions) }
            }
            consider(unindexed)
            return best
        }
        return best == Int.max ? nil : entries[best].value
    }

    // FNV-1a: cheap to extend one byte at a time, which is what the walk needs.
    private static var offsetBasis: UInt64 { 0xcbf2_9ce4_8422_2325 }

    @inline(__always) private static func step(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    private static func hash<S: Sequence<UInt8>>(_ bytes: S) -> UInt64 {
        bytes.reduce(offsetBasis, step)
    }

    private static func flags(_ lengths: [Int]) -> [Bool] {
        var flags = [Bool](repeating: false, count: (lengths.max() ?? 0) + 1)
        for length in lengths { flags[length] = true }
        return flags
    }
}
