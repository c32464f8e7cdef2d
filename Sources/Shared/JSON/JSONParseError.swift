/// Why and where a JSON text was rejected.
///
/// The gateway maps `kind` to its answer (design.md §5.9): syntax and encoding problems are JSON-RPC
/// parse errors (-32700); duplicate keys and excessive nesting parse fine as text but are refused as
/// requests (-32600), because an upstream could read them differently from the way they were judged;
/// so is a top-level array beyond `JSONParser.maxTopLevelElements` (a batch over its cap).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case syntax
        case invalidUTF8
        case loneSurrogate
        case duplicateKey
        case tooDeep
        case tooManyElements
        case trailingData
        case empty
    }

    public let kind: Kind
    /// Byte offset into the input where the problem was found.
    public let offset: Int
    /// JSON Pointer (RFC 6901) to the value being read when the problem was found.
    public internal(set) var pointer: String
    public let message: String

    init(_ kind: Kind, at offset: Int, _ message: String) {
        self.kind = kind
        self.offset = offset
        self.pointer = ""
        self.message = message
    }

    /// The JSON-RPC error code for a request body that failed this way.
    public var jsonRPCCode: Int {
        switch kind {
        case .duplicateKey, .tooDeep, .tooManyElements: -32600
        case .syntax, .invalidUTF8, .loneSurrogate, .trailingData, .empty: -32700
        }
    }

    public var description: String {
        "\(message) at byte \(offset)" + (pointer.isEmpty ? "" : " (\(pointer))")
    }

    /// Pointers are assembled while the error unwinds, so parsing pays nothing for them on success.
    mutating func prepend(token: String) {
        pointer = "/" + JSONPointer.escape(token) + pointer
    }
}

/// RFC 6901 JSON Pointers, used for parse errors, policy problems and rule names.
public enum JSONPointer {
    /// `~` becomes `~0` and `/` becomes `~1`, in that order, as RFC 6901 section 3 requires.
    public static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else {
            return token
        }
        return token.replacingAll("~", with: "~0").replacingAll("/", with: "~1")
    }

    public static func appending(_ pointer: String, _ token: String) -> String {
        pointer + "/" + escape(token)
    }

    public static func appending(_ pointer: String, _ index: Int) -> String {
        pointer + "/" + String(index)
    }
}

extension String {
    /// A Foundation-free replace, so the JSON module needs nothing but the standard library. By code
    /// point, not Character: a `/` followed by a combining mark is one Character that is not "/", and
    /// comparing Characters left it unescaped in pointers (found by the policy fuzz target).
    func replacingAll(_ target: Unicode.Scalar, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            if scalar == target { out += replacement } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
