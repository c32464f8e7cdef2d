import CRE2
import JSON

/// A `regex` condition's pattern, compiled once when the policy is compiled.
///
/// Semantics: RE2 syntax, matched by RE2 over the UTF-8 text (code points, never canonical
/// equivalence), unanchored unless the pattern anchors itself with `^`/`$`, as design.md §4 says.
/// RE2 runs in time linear in the text, so no pattern can make a call burn a core
/// (issue 10 item 10: `(a+)+$` against 18 `a`s and a `!` took 14 s with a backtracking engine).
/// Backreferences, lookaround and other constructs RE2 lacks are refused when the pattern compiles.
///
/// A final class: it owns the C++ object and frees it once. Matching only reads the compiled
/// program, which RE2 documents as safe from many threads at once, hence `@unchecked Sendable`.
public final class PolicyRegex: @unchecked Sendable {
    /// Longer patterns are refused at validation: a policy is small configuration, not a corpus,
    /// and every compiled pattern lives in every worker.
    public static let maximumPatternBytes = 1024
    /// RE2's memory budget per pattern (program and DFA cache); a pattern whose program would not
    /// fit is refused ("pattern too large"), a search that fills the cache falls back to RE2's
    /// slower but still linear NFA.
    static let maximumMemoryBytes: Int64 = 2 << 20

    private let regex: OpaquePointer
    /// Set when the pattern is plain text anchored at one end or both (`:latest$`), the common
    /// case in policies; it is then compared without calling into RE2.
    private let literal: (text: String, anchoredStart: Bool, anchoredEnd: Bool)?
    public let pattern: String

    public init(_ pattern: String) throws(PolicyRegexError) {
        let length = pattern.utf8.count
        guard length <= Self.maximumPatternBytes else {
            throw PolicyRegexError(message: "must be at most \(Self.maximumPatternBytes) bytes long (is \(length))")
        }
        var error = [CChar](repeating: 0, count: 256)
        var text = pattern
        let compiled = text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                cre2_compile(chars.baseAddress, chars.count, Self.maximumMemoryBytes, &error, error.count)
            }
        }
        guard let compiled else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw PolicyRegexError(message: "is not a valid regular expression: \(reason) (patterns follow RE2 syntax)")
        }
        regex = compiled
        self.pattern = pattern
        literal = Self.literal(in: pattern)
    }

    deinit {
        cre2_free(regex)
    }

    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            if let literal {
                let needle = literal.text.utf8
                if literal.anchoredStart && literal.anchoredEnd { return bytes.elementsEqual(needle) }
                if literal.anchoredStart { return bytes.starts(with: needle) }
                return bytes.reversed().starts(with: needle.reversed())
            }
            return bytes.withMemoryRebound(to: CChar.self) { cre2_partial_match(regex, $0.baseAddress, $0.count) } != 0
        }
    }

    /// The pattern's text when it has no metacharacters besides a leading `^` and a trailing `$`
    /// and is anchored by at least one of them (RE2 finds an unanchored literal fast itself).
    private static func literal(in pattern: String) -> (text: String, anchoredStart: Bool, anchoredEnd: Bool)? {
        var body = Substring(pattern)
        let anchoredStart = body.hasPrefix("^")
        if anchoredStart { body = body.dropFirst() }
        let anchoredEnd = body.hasSuffix("$")
        if anchoredEnd { body = body.dropLast() }
        guard anchoredStart || anchoredEnd else { return nil }
        let metacharacters = Set("\\.^$|?*+()[]{}".unicodeScalars)
        guard !body.unicodeScalars.contains(where: metacharacters.contains) else { return nil }
        return (String(body), anchoredStart, anchoredEnd)
    }
}

public struct PolicyRegexError: Error, Sendable {
    public let message: String
}
