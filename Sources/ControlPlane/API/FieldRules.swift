import Foundation

/// Checks shared by several endpoints, in the shape `JSONBodyReader` takes: nil when the value is
/// acceptable, else the message for its pointer.
enum FieldRules {
    static func email(_ value: String) -> String? {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        // The domain needs at least two labels of ASCII letters, digits and hyphens (IDNs in their
        // punycode form): `a@b.c`, not `a@.`, `a@b..c` or `a@b.c*`.
        let labels = parts.count == 2 ? parts[1].split(separator: ".", omittingEmptySubsequences: false) : []
        let isLabel = { (label: Substring) in
            !label.isEmpty && label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }
        guard value.count <= 254, parts.count == 2, !parts[0].isEmpty, labels.count >= 2,
              labels.allSatisfy(isLabel), !value.contains(where: { $0.isWhitespace || $0.isNewline })
        else { return "must be an email address" }
        return nil
    }

    /// Long enough to resist guessing, short enough that hashing it stays cheap.
    static func password(_ value: String) -> String? {
        (10...1024).contains(value.count) ? nil : "must be 10 to 1024 characters long"
    }

    /// A name or label: 1 to 200 characters, as the schema's checks require.
    static func name(_ value: String) -> String? {
        // Counted in code points, as PostgreSQL's length() does: the schema's check must never be
        // the first to notice (a Swift Character may hold several code points).
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return (1...200).contains(trimmed.unicodeScalars.count) && trimmed == value ? nil : "must be 1 to 200 characters without surrounding spaces"
    }

    static func future(_ value: Date) -> String? {
        value > Date() ? nil : "must be in the future"
    }

    /// Where approval requests are POSTed (design.md §5.6): an absolute http(s) URL.
    static func webhookURL(_ value: String) -> String? {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), ["https", "http"].contains(scheme),
              let host = url.host, !host.isEmpty, value.count <= 2048
        else { return "must be an absolute https:// or http:// URL" }
        return nil
    }
}
