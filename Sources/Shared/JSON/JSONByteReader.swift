/// The cursor behind `JSONParser`: recursive descent over a byte buffer that outlives it.
struct JSONByteReader {
    let base: UnsafePointer<UInt8>
    let count: Int
    let maxDepth: Int
    let maxTopLevelElements: Int
    var position = 0

    init(base: UnsafePointer<UInt8>, count: Int, maxDepth: Int, maxTopLevelElements: Int) {
        self.base = base
        self.count = count
        self.maxDepth = maxDepth
        self.maxTopLevelElements = maxTopLevelElements
    }

    @inline(__always) var current: UInt8? { position < count ? base[position] : nil }

    @inline(__always) mutating func skipWhitespace() {
        while position < count {
            switch base[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    mutating func readValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard let byte = current else { throw JSONParseError(.syntax, at: position, "unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try readObject(depth: depth + 1)
        case UInt8(ascii: "["): return try readArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try readNumber())
        default: throw unexpectedByte()
        }
    }

    private mutating func readObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else {
            throw JSONParseError(.tooDeep, at: position, "nesting deeper than \(maxDepth)")
        }
        position += 1
        skipWhitespace()
        var members: [(key: String, value: JSONValue)] = []
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(JSONObject(uniqueMembers: members))
        }
        // Small objects are checked for duplicates by scanning; a set only pays off for large ones.
        var seen: Set<String>? = nil
        while true {
            guard current == UInt8(ascii: "\"") else {
                throw JSONParseError(.syntax, at: position, "expected a string key")
            }
            let keyOffset = position
            let key = try readString()
            if let set = seen {
                if set.contains(key) { throw duplicate(key, at: keyOffset) }
                seen!.insert(key)
            } else {
                for member in members where member.key == key { throw duplicate(key, at: keyOffset) }
                if members.count == 15 { seen = Set(members.map(\.key) + [key]) }
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else {
                throw JSONParseError(.syntax, at: position, "expected ':' after an object key")
            }
            position += 1
            skipWhitespace()
            let value: JSONValue
            do {
                value = try readValue(depth: depth)
            } catch var error {
                error.prepend(token: key)
                throw error
            }
            members.append((key, value))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                position += 1
                return .object(JSONObject(uniqueMembers: members))
            default:
                throw JSONParseError(.syntax, at: position, "expected ',' or '}' in an object")
            }
        }
    }

    private func duplicate(_ key: String, at offset: Int) -> JSONParseError {
        var error = JSONParseError(.duplicateKey, at: offset, "duplicate object key \"\(key)\"")
        error.prepend(token: key)
        return error
    }

    private mutating func readArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else {
            throw JSONParseError(.tooDeep, at: position, "nesting deeper than \(maxDepth)")
        }
        position += 1
        skipWhitespace()
        var elements: [JSONValue] = []
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            if depth == 1, elements.count == maxTopLevelElements {
                throw JSONParseError(.tooManyElements, at: position, "more than \(maxTopLevelElements) elements in the top-level array")
            }
            do {
                elements.append(try readValue(depth: depth))
            } catch var error {
                error.prepend(token: String(elements.count))
                throw error
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            default:
                throw JSONParseError(.syntax, at: position, "expected ',' or ']' in an array")
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let length = literal.utf8CodeUnitCount
        guard count - position >= length else {
            throw JSONParseError(.syntax, at: position, "invalid literal")
        }
        let expected = literal.utf8Start
        for i in 0..<length where base[position + i] != expected[i] {
            throw JSONParseError(.syntax, at: position, "invalid literal")
        }
        position += length
    }

    private mutating func readNumber() throws(JSONParseError) -> JSONNumber {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        guard let first = current, isDigit(first) else {
            throw JSONParseError(.syntax, at: position, "invalid number")
        }
        position += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if current == UInt8(ascii: ".") {
            position += 1
            try requireDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            try requireDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: position - start), as: UTF8.self)
        return JSONNumber(validatedText: text)
    }

    @inline(__always) private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while let byte = current, isDigit(byte) { position += 1 }
    }

    private mutating func requireDigits() throws(JSONParseError) {
        guard let byte = current, isDigit(byte) else {
            throw JSONParseError(.syntax, at: position, "invalid number: expected a digit")
        }
        skipDigits()
    }

    /// A byte that cannot start a value: invalid UTF-8 is reported as such, anything else as syntax.
    func unexpectedByte() -> JSONParseError {
        let byte = base[position]
        if byte >= 0x80, utf8SequenceLength(at: position) == nil {
            return JSONParseError(.invalidUTF8, at: position, "invalid UTF-8")
        }
        return JSONParseError(.syntax, at: position, "unexpected character")
    }
}
