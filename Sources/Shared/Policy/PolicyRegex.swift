/// A `regex` condition's pattern, compiled once when the policy is compiled.
///
/// Semantics: Swift `Regex` syntax restricted to what RE2 also accepts, matched on Unicode scalars
/// (like RE2's code points) and unanchored unless the pattern anchors itself with `^`/`$`, i.e.
/// "RE2-like" as SPEC 4 says. Backreferences, lookaround, atomic groups and possessive quantifiers
/// are refused at validation: RE2 has none of them, so a document using them would not be portable
/// back to PolicyLayer, and they are the usual source of catastrophic backtracking.
///
/// A final class rather than a struct: `Regex` comes from a resilient module, so any value type
/// holding it inline has a layout unknown at compile time, and every copy of a condition would go
/// through runtime value witnesses. Behind a reference, conditions copy as one pointer.
public final class PolicyRegex: @unchecked Sendable {
    // `Regex` holds an immutable compiled program; it is never mutated after `init`, which is why
    // sharing it between threads is safe even where the standard library does not mark it Sendable.
    private let regex: Regex<AnyRegexOutput>
    /// Set when the pattern is plain text with optional `^`/`$` anchors (`:latest$`), the common
    /// case in policies; it is then matched without running the regex engine.
    private let literal: (text: String, anchoredStart: Bool, anchoredEnd: Bool)?
    public let pattern: String

    public init(_ pattern: String) throws(PolicyRegexError) {
        if let construct = Self.nonRE2Construct(in: pattern) {
            throw PolicyRegexError(message: "\(construct) is not supported (patterns follow RE2 syntax)")
        }
        do {
            regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
        } catch {
            throw PolicyRegexError(message: "is not a valid regular expression: \(error)")
        }
        self.pattern = pattern
        literal = Self.literal(in: pattern)
    }

    public func matches(_ text: String) -> Bool {
        guard let literal else { return (try? regex.firstMatch(in: text)) != nil }
        let haystack = text.unicodeScalars, needle = literal.text.unicodeScalars
        switch (literal.anchoredStart, literal.anchoredEnd) {
        case (true, true): return haystack.elementsEqual(needle)
        case (true, false): return haystack.starts(with: needle)
        case (false, true): return haystack.reversed().starts(with: needle.reversed())
        case (false, false): return needle.isEmpty || text.unicodeScalars.firstRange(of: needle) != nil
        }
    }

    /// The pattern's text when it has no metacharacters besides a leading `^` and a trailing `$`.
    private static func literal(in pattern: String) -> (text: String, anchoredStart: Bool, anchoredEnd: Bool)? {
        var body = Substring(pattern)
        let anchoredStart = body.hasPrefix("^")
        if anchoredStart { body = body.dropFirst() }
        let anchoredEnd = body.hasSuffix("$")
        if anchoredEnd { body = body.dropLast() }
        let metacharacters = Set("\\.^$|?*+()[]{}".unicodeScalars)
        guard !body.unicodeScalars.contains(where: metacharacters.contains) else { return nil }
        return (String(body), anchoredStart, anchoredEnd)
    }

    /// Scans the pattern outside character classes and escapes for constructs RE2 lacks.
    private static func nonRE2Construct(in pattern: String) -> String? {
        let chars = Array(pattern.unicodeScalars)
        var i = 0
        var inClass = false
        while i < chars.count {
            let c = chars[i]
            let next = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "\\" {
                if !inClass, let next, ("1"..."9").contains(next) || next == "k" { return "a backreference" }
                i += 2
                continue
            }
            if inClass {
                if c == "]" { inClass = false }
            } else if c == "[" {
                inClass = true
                // A `]` right after `[` or `[^` is a literal member, not the end of the class.
                if next == "^" { i += 1 }
                if i + 1 < chars.count, chars[i + 1] == "]" { i += 1 }
            } else if c == "(", next == "?" {
                let rest = String(String.UnicodeScalarView(chars[(i + 2)..<min(chars.count, i + 4)]))
                if rest.hasPrefix("=") || rest.hasPrefix("!") || rest.hasPrefix("<=") || rest.hasPrefix("<!") {
                    return "lookaround"
                }
                if rest.hasPrefix(">") { return "an atomic group" }
            } else if "*+?}".unicodeScalars.contains(c), next == "+" {
                return "a possessive quantifier"
            }
            i += 1
        }
        return nil
    }
}

public struct PolicyRegexError: Error, Sendable {
    public let message: String
}
