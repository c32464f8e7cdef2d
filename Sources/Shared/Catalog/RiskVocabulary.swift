import PolicyEngine

/// The words the classifier recognises (design.md §5.8), and how it splits names and prose into words.
enum RiskVocabulary {
    /// Checked strongest first, so "lists and deletes" is destructive, not read.
    static let classesByStrength: [(RiskClass, Set<String>)] = [
        (.financial, ["payment", "pay", "charge", "refund", "payout", "transfer", "invoice"]),
        (.destructive, ["delete", "remove", "destroy", "terminate", "purge"]),
        (.execute, ["run", "exec", "execute", "start", "stop", "restart", "trigger", "deploy", "send", "cancel", "retry"]),
        (.write, ["create", "update", "set", "add", "write", "upload"]),
        // `stream`, `show`, `view` and `find` extend design.md §5.8's list: they read, and RunPod's
        // `stream-job` would otherwise fall to "no signal".
        (.read, ["get", "list", "describe", "search", "read", "fetch", "query", "status", "health", "stream", "show", "view", "find"]),
    ]

    static func `class`(of word: String) -> RiskClass? {
        let forms = [word] + baseForms(of: word)
        return classesByStrength.first { entry in forms.contains { entry.1.contains($0) } }?.0
    }

    /// `runsync` starts with `run`: a verb glued to a qualifier still names the action. Only verbs
    /// of three letters or more count, and only for the name's first word.
    static func `class`(ofVerbPrefix word: String) -> RiskClass? {
        for (riskClass, verbs) in classesByStrength where riskClass != .financial {
            if verbs.contains(where: { $0.count >= 3 && word.hasPrefix($0) }) { return riskClass }
        }
        return nil
    }

    /// The strongest-class word in `words`, if any is known.
    static func strongest(in words: ArraySlice<String>) -> (String, RiskClass)? {
        var best: (String, RiskClass, Int)?
        for word in words {
            guard let riskClass = `class`(of: word) else { continue }
            let strength = classesByStrength.firstIndex { $0.0 == riskClass }!
            if best == nil || strength < best!.2 { best = (word, riskClass, strength) }
        }
        return best.map { ($0.0, $0.1) }
    }

    /// Lower-case words split at anything not a letter or digit and at camelCase humps
    /// (`deletePod` → delete, pod).
    static func words(in text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousWasLower = false
        for scalar in text.unicodeScalars {
            let isLetterOrDigit = scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
            let isUpper = scalar.properties.isUppercase
            if !isLetterOrDigit || (isUpper && previousWasLower) {
                if !current.isEmpty { words.append(current) }
                current = ""
            }
            if isLetterOrDigit { current += String(scalar).lowercased() }
            previousWasLower = scalar.properties.isLowercase
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Candidate base forms after one inflection, so "deletes", "deleted", "stopping" and "added"
    /// find their verb: the bare stem, the stem with a doubled consonant undone, and the stem plus "e".
    private static func baseForms(of word: String) -> [String] {
        for suffix in ["ing", "ed", "es", "s"] where word.count > suffix.count + 2 && word.hasSuffix(suffix) {
            let base = String(word.dropLast(suffix.count))
            return [base, String(base.dropLast()), base + "e"]
        }
        return []
    }
}
