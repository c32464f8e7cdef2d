extension JSONByteReader {
    /// Reads a string starting at its opening quote. Strings without escapes (nearly all of them)
    /// are decoded straight from the input buffer after validation; escapes switch to a byte buffer.
    mutating func readString() throws(JSONParseError) -> String {
        position += 1
        let start = position
        while position < count {
            let byte = base[position]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(start: base + start, count: position - start), as: UTF8.self)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") {
                var buffer = Array(UnsafeBufferPointer(start: base + start, count: position - start))
                return try readEscapedRemainder(into: &buffer)
            }
            try advanceOverCharacter(byte)
        }
        throw JSONParseError(.syntax, at: position, "unterminated string")
    }

    private mutating func readEscapedRemainder(into buffer: inout [UInt8]) throws(JSONParseError) -> String {
        while position < count {
            let byte = base[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: buffer, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                try readEscape(into: &buffer)
                continue
            }
            let start = position
            try advanceOverCharacter(byte)
            buffer.append(contentsOf: UnsafeBufferPointer(start: base + start, count: position - start))
        }
        throw JSONParseError(.syntax, at: position, "unterminated string")
    }

    /// Steps over one unescaped character, refusing control characters and invalid UTF-8.
    @inline(__always) private mutating func advanceOverCharacter(_ byte: UInt8) throws(JSONParseError) {
        if byte < 0x20 {
            throw JSONParseError(.syntax, at: position, "unescaped control character in a string")
        }
        if byte < 0x80 {
            position += 1
            return
        }
        guard let length = utf8SequenceLength(at: position) else {
            throw JSONParseError(.invalidUTF8, at: position, "invalid UTF-8")
        }
        position += length
    }

    private mutating func readEscape(into buffer: inout [UInt8]) throws(JSONParseError) {
        let escapeOffset = position
        position += 1
        guard let byte = current else { throw JSONParseError(.syntax, at: position, "unterminated string") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(byte)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try readHex4()
            var scalarValue = UInt32(unit)
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate must be followed by an escaped low one; anything else would have
                // to become U+FFFD, and then two readers could see different strings.
                guard position + 1 < count, base[position] == UInt8(ascii: "\\"), base[position + 1] == UInt8(ascii: "u") else {
                    throw JSONParseError(.loneSurrogate, at: escapeOffset, "lone surrogate escape")
                }
                position += 2
                let low = try readHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONParseError(.loneSurrogate, at: escapeOffset, "lone surrogate escape")
                }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(unit) {
                throw JSONParseError(.loneSurrogate, at: escapeOffset, "lone surrogate escape")
            }
            buffer.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalarValue)!)!)
        default:
            throw JSONParseError(.syntax, at: escapeOffset, "invalid escape sequence")
        }
    }

    private mutating func readHex4() throws(JSONParseError) -> UInt16 {
        guard count - position >= 4 else { throw JSONParseError(.syntax, at: position, "invalid \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = base[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.syntax, at: position, "invalid \\u escape")
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    /// Length of the well-formed UTF-8 sequence starting at `offset` (RFC 3629 table 3-7:
    /// no overlongs, no encoded surrogates, nothing above U+10FFFF), or nil.
    func utf8SequenceLength(at offset: Int) -> Int? {
        let lead = base[offset]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: return nil
        }
        guard count - offset >= length, secondRange.contains(base[offset + 1]) else { return nil }
        for i in 2..<length where base[offset + i] & 0xC0 != 0x80 { return nil }
        return length
    }
}
