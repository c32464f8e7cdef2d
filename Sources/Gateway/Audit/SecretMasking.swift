/// Masks credentials that agents put in tool arguments before they reach an audit row (design.md §7):
/// GitHub tokens, AWS access key ids, `sk-` API keys, JWTs, `Bearer ...` values and Portcullis's own
/// tokens. A scanner over the bytes rather than regexes: it runs for every audited string.
enum SecretMasking {
    /// Prefixes that start a secret, each with the shortest token that counts as one after it.
    private static let prefixes: [(prefix: [UInt8], minimumTail: Int)] = [
        ("ghp_", 16), ("gho_", 16), ("ghu_", 16), ("ghs_", 16), ("ghr_", 16), ("github_pat_", 16),
        ("AKIA", 16), ("ASIA", 16), ("sk-", 16), ("pcs_ak_", 16), ("pcs_gt_", 16), ("pcs_wk_", 16), ("eyJ", 16),
    ].map { (Array($0.0.utf8), $0.1) }
    private static let bearer = Array("bearer ".utf8)

    static let mask = "[MASKED]"

    /// The text with every secret replaced by `[MASKED]`.
    static func masked(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        var changed = false
        while index < bytes.count {
            if let end = secretEnd(in: bytes, at: index) {
                output += Array(mask.utf8)
                index = end
                changed = true
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return changed ? String(decoding: output, as: UTF8.self) : text
    }

    /// Where a secret starting at `start` ends, if one starts there.
    private static func secretEnd(in bytes: [UInt8], at start: Int) -> Int? {
        // A secret starts a word: "ask-me" is not an `sk-` key, but "key=sk-..." holds one.
        if start > 0, isWordByte(bytes[start - 1]) { return nil }
        if hasPrefix(bytes, at: start, bearer, caseInsensitive: true) {
            let tokenStart = start + bearer.count
            let end = tokenEnd(bytes, from: tokenStart)
            return end - tokenStart >= 8 ? end : nil
        }
        for (prefix, minimumTail) in prefixes where hasPrefix(bytes, at: start, prefix, caseInsensitive: false) {
            let end = tokenEnd(bytes, from: start + prefix.count)
            if end - (start + prefix.count) >= minimumTail { return end }
        }
        return nil
    }

    private static func tokenEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var end = start
        while end < bytes.count, isTokenByte(bytes[end]) || bytes[end] == UInt8(ascii: ".") { end += 1 }
        return end
    }

    /// Characters of base64url, base62 and JWT segments.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
            true
        default:
            false
        }
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        isTokenByte(byte) && byte != UInt8(ascii: "=") && byte != UInt8(ascii: "+") && byte != UInt8(ascii: "/")
    }

    private static func hasPrefix(_ bytes: [UInt8], at start: Int, _ prefix: [UInt8], caseInsensitive: Bool) -> Bool {
        guard start + prefix.count <= bytes.count else { return false }
        for offset in 0..<prefix.count {
            var byte = bytes[start + offset]
            if caseInsensitive, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) { byte += 32 }
            if byte != prefix[offset] { return false }
        }
        return true
    }
}
