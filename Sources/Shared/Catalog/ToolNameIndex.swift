/// A server's other tool names, looked up by the words of a text (issue 10 item 15).
///
/// Searching every string of every tool for every other tool's name costs tools² × text, which a
/// server listing thousands of tools turns into minutes of a core. A text is instead split once
/// into runs of name characters, and each run is looked up in a set: linear in the text. Names
/// holding other characters (`files.read`) cannot be one run; they are few, and searched for as
/// before.
struct ToolNameIndex {
    private let plain: Set<String>
    private let others: [String]

    /// `names` lower-cased, as the text they are looked for in.
    init(_ names: [String]) {
        let plain = Set(names.filter { $0.unicodeScalars.allSatisfy(PoisoningScanner.isNameCharacter) })
        self.plain = plain
        others = names.filter { !plain.contains($0) }
    }

    /// Each name mentioned as a whole word in `text`, once, with the index of its first mention.
    func mentions(in text: [Unicode.Scalar]) -> [(name: String, index: Int)] {
        var found: [(name: String, index: Int)] = []
        var seen = Set<String>()
        if !plain.isEmpty {
            var start: Int?
            for index in 0...text.count {
                if index < text.count, PoisoningScanner.isNameCharacter(text[index]) {
                    if start == nil { start = index }
                    continue
                }
                guard let wordStart = start else { continue }
                start = nil
                var word = String.UnicodeScalarView()
                word.append(contentsOf: text[wordStart..<index])
                let name = String(word)
                if plain.contains(name), seen.insert(name).inserted { found.append((name, wordStart)) }
            }
        }
        for name in others {
            if let index = PoisoningScanner.find(name, in: text, wholeWord: true) { found.append((name, index)) }
        }
        return found
    }
}
