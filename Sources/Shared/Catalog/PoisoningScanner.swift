import JSON

/// Scans a tool definition for poisoning (design.md §5.7) before it is approved.
///
/// It looks at every string the model will read: name, title, description, annotations, and every
/// key and string value in the input and output schemas (property descriptions, enums, defaults).
/// Deterministic and conservative: a finding sends the tool to a human, it never blocks by itself.
public enum PoisoningScanner {
    static let instructionPhrases = [
        "<important>", "</important>", "<system>", "</system>", "ignore previous", "ignore all previous",
        "ignore the previous", "ignore prior", "ignore the above", "disregard previous", "disregard all previous",
        "do not tell the user", "don't tell the user", "do not inform the user", "do not mention",
        "without telling the user", "hide this from the user", "not visible to the user",
    ]

    static let sensitivePaths = [
        "~/.ssh", ".ssh/", "id_rsa", "id_ed25519", "~/.aws", ".aws/credentials", "/etc/passwd", "/etc/shadow",
        "~/.gnupg", ".kube/config", ".docker/config.json", ".netrc", ".npmrc", ".pgpass", "~/.config",
    ]

    /// `otherToolNames` are the server's other tools; mentions of them are reported.
    public static func scan(_ tool: JSONValue, otherToolNames: [String] = []) -> [PoisoningFinding] {
        let ownName = tool["name"]?.stringValue
        let others = ToolNameIndex(otherToolNames.filter { $0 != ownName && $0.unicodeScalars.count >= 3 }.map { $0.lowercased() })
        var findings: [PoisoningFinding] = []
        func visit(_ value: JSONValue, _ pointer: String) {
            switch value {
            case .string(let text):
                findings += scanText(text, at: pointer, otherToolNames: others)
            case .array(let elements):
                for (index, element) in elements.enumerated() { visit(element, JSONPointer.appending(pointer, index)) }
            case .object(let object):
                for member in object.members {
                    let memberPointer = JSONPointer.appending(pointer, member.key)
                    findings += scanText(member.key, at: memberPointer, otherToolNames: others)
                    visit(member.value, memberPointer)
                }
            default:
                break
            }
        }
        for field in ToolDefinitionHash.hashedFields where field != "name" {
            if let value = tool[field] { visit(value, "/" + field) }
        }
        if let ownName { findings += scanText(ownName, at: "/name", otherToolNames: ToolNameIndex([])) }
        return findings
    }

    static func scanText(_ text: String, at pointer: String, otherToolNames: ToolNameIndex) -> [PoisoningFinding] {
        var findings: [PoisoningFinding] = []
        let scalars = Array(text.unicodeScalars)
        var reported = Set<PoisoningFinding.Kind>()
        for (index, scalar) in scalars.enumerated() {
            guard let kind = characterKind(scalar), !reported.contains(kind) else { continue }
            reported.insert(kind)
            findings.append(PoisoningFinding(kind: kind, location: pointer, excerpt: excerpt(scalars, index, length: 1)))
        }
        let lowered = Array(text.lowercased().unicodeScalars)
        // Lower-casing rarely changes the scalar count; when it does, excerpts come from the lowered text.
        let source = lowered.count == scalars.count ? scalars : lowered
        for phrase in instructionPhrases {
            if let index = find(phrase, in: lowered, wholeWord: false) {
                findings.append(PoisoningFinding(kind: .hiddenInstruction, location: pointer, excerpt: excerpt(source, index, length: phrase.unicodeScalars.count)))
            }
        }
        for path in sensitivePaths {
            if let index = find(path, in: lowered, wholeWord: false) {
                findings.append(PoisoningFinding(kind: .sensitivePath, location: pointer, excerpt: excerpt(source, index, length: path.unicodeScalars.count)))
            }
        }
        for (name, index) in otherToolNames.mentions(in: lowered) {
            findings.append(PoisoningFinding(kind: .toolReference, location: pointer, excerpt: excerpt(source, index, length: name.unicodeScalars.count)))
        }
        return findings
    }

    static func characterKind(_ scalar: Unicode.Scalar) -> PoisoningFinding.Kind? {
        switch scalar.value {
        case 0x1B, 0x9B: .ansiEscape
        case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069: .bidiControl
        case 0x200B...0x200D, 0x2060...0x2064, 0xFEFF, 0x00AD, 0x180E, 0xE0000...0xE007F: .invisibleCharacter
        case 0x09, 0x0A, 0x0D: nil
        case 0x00...0x1F, 0x7F...0x9F: .controlCharacter
        default: nil
        }
    }

    /// Letters, digits, `-` and `_`: what a tool name is made of, so a mention is a whole run of them.
    static func isNameCharacter(_ s: Unicode.Scalar) -> Bool { s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "-" || s == "_" }

    /// First index of `needle`; with `wholeWord`, only where it is not part of a longer name
    /// (neighbours are not letters, digits, `-` or `_`).
    static func find(_ needle: String, in haystack: [Unicode.Scalar], wholeWord: Bool) -> Int? {
        let pattern = Array(needle.unicodeScalars)
        guard !pattern.isEmpty, haystack.count >= pattern.count else { return nil }
        for start in 0...(haystack.count - pattern.count) where haystack[start..<(start + pattern.count)].elementsEqual(pattern) {
            if wholeWord {
                let end = start + pattern.count
                if start > 0, isNameCharacter(haystack[start - 1]) { continue }
                if end < haystack.count, isNameCharacter(haystack[end]) { continue }
            }
            return start
        }
        return nil
    }

    /// Up to 30 characters either side, invisible and control characters made visible.
    private static func excerpt(_ scalars: [Unicode.Scalar], _ index: Int, length: Int) -> String {
        let lower = max(0, index - 30), upper = min(scalars.count, index + length + 30)
        var text = lower > 0 ? "…" : ""
        for scalar in scalars[lower..<upper] {
            if characterKind(scalar) != nil {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                text += "<U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + ">"
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        return upper < scalars.count ? text + "…" : text
    }
}
