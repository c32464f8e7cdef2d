import Testing
@testable import JSON
@testable import Shared

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue.parse(#" {"a": [1, -2.5e3, "x", true, false, null, {}], "b": {"c": "d"}} "#)
        #expect(value["a"] == [1, .number(JSONNumber(validatedText: "-2.5e3")), "x", true, false, nil, .object(JSONObject())])
        #expect(value["b"]?["c"] == "d")
    }

    @Test func numbersKeepTheirExactWrittenForm() throws {
        let value = try JSONValue.parse(#"[12345678901234567890123, 1.0, 1e2, -0, 0.10]"#)
        #expect(value.serialized() == "[12345678901234567890123,1.0,1e2,-0,0.10]")
    }

    @Test func objectMembersKeepDocumentOrder() throws {
        let value = try JSONValue.parse(#"{"z":1,"a":2,"m":3}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m"])
        #expect(value.serialized() == #"{"z":1,"a":2,"m":3}"#)
    }

    @Test func escapesAndSurrogatePairsDecode() throws {
        let value = try JSONValue.parse(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\uD83D\uDE00", "caf\u00E9 ok"]"#)
        #expect(value.arrayValue?[0] == "a\"b\\c/d\u{8}\u{C}\n\r\t")
        #expect(value.arrayValue?[1] == "é😀")
        #expect(value.arrayValue?[2] == "café ok")
    }

    @Test func rawMultibyteUTF8IsAccepted() throws {
        let value = try JSONValue.parse("{\"名前\": \"ünïcødé 😀\"}")
        #expect(value["名前"] == "ünïcødé 😀")
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        let label: String
        let bytes: [UInt8]
        let kind: JSONParseError.Kind
        let offset: Int
        let pointer: String
        var testDescription: String { label }
    }

    static let badInputs: [BadInput] = [
        BadInput(label: "empty body", bytes: [], kind: .empty, offset: 0, pointer: ""),
        BadInput(label: "truncated object", bytes: Array(#"{"a":1"#.utf8), kind: .syntax, offset: 6, pointer: ""),
        BadInput(label: "trailing comma", bytes: Array(#"[1,]"#.utf8), kind: .syntax, offset: 3, pointer: "/1"),
        BadInput(label: "single quotes", bytes: Array("{'a':1}".utf8), kind: .syntax, offset: 1, pointer: ""),
        BadInput(label: "leading zero", bytes: Array("[01]".utf8), kind: .syntax, offset: 2, pointer: ""),
        BadInput(label: "bare fraction point", bytes: Array("[1.]".utf8), kind: .syntax, offset: 3, pointer: "/0"),
        BadInput(label: "NaN", bytes: Array("[NaN]".utf8), kind: .syntax, offset: 1, pointer: "/0"),
        BadInput(label: "misspelt literal", bytes: Array("[tru]".utf8), kind: .syntax, offset: 1, pointer: "/0"),
        BadInput(label: "raw newline in string", bytes: Array("[\"a\nb\"]".utf8), kind: .syntax, offset: 3, pointer: "/0"),
        BadInput(label: "bad escape", bytes: Array(#"{"k":"\x"}"#.utf8), kind: .syntax, offset: 6, pointer: "/k"),
        BadInput(label: "two documents", bytes: Array("{} {}".utf8), kind: .trailingData, offset: 3, pointer: ""),
        BadInput(label: "duplicate key", bytes: Array(#"{"a":1,"b":{"c":1,"c":2}}"#.utf8), kind: .duplicateKey, offset: 18, pointer: "/b/c"),
        BadInput(label: "invalid UTF-8 in string", bytes: [0x5B, 0x22, 0xC3, 0x28, 0x22, 0x5D], kind: .invalidUTF8, offset: 2, pointer: "/0"),
        BadInput(label: "overlong UTF-8", bytes: [0x22, 0xC0, 0xAF, 0x22], kind: .invalidUTF8, offset: 1, pointer: ""),
        BadInput(label: "UTF-8 encoded surrogate", bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], kind: .invalidUTF8, offset: 1, pointer: ""),
        BadInput(label: "truncated UTF-8 sequence", bytes: [0x22, 0xE2, 0x82], kind: .invalidUTF8, offset: 1, pointer: ""),
        BadInput(label: "invalid UTF-8 outside strings", bytes: [0x5B, 0xFF, 0x5D], kind: .invalidUTF8, offset: 1, pointer: "/0"),
        BadInput(label: "lone high surrogate", bytes: Array(#"{"t":"\uD800x"}"#.utf8), kind: .loneSurrogate, offset: 6, pointer: "/t"),
        BadInput(label: "lone low surrogate", bytes: Array(#"["\uDC00"]"#.utf8), kind: .loneSurrogate, offset: 2, pointer: "/0"),
        BadInput(label: "high surrogate then non-low", bytes: Array(#"["\uD800\u0041"]"#.utf8), kind: .loneSurrogate, offset: 2, pointer: "/0"),
        BadInput(label: "byte order mark", bytes: [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], kind: .syntax, offset: 0, pointer: ""),
    ]

    @Test(arguments: badInputs)
    func badInputIsRejectedWithKindOffsetAndPointer(_ input: BadInput) {
        #expect {
            try JSONParser().parse(input.bytes)
        } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            return error.kind == input.kind && error.offset == input.offset && error.pointer == input.pointer
        }
    }

    @Test func duplicateKeysAreFoundInLargeObjectsToo() {
        let members = (0..<40).map { "\"k\($0)\":\($0)" } + ["\"k7\":0"]
        #expect(throws: JSONParseError.self) { try JSONValue.parse("{" + members.joined(separator: ",") + "}") }
        let unique = (0..<40).map { "\"k\($0)\":\($0)" }
        #expect((try? JSONValue.parse("{" + unique.joined(separator: ",") + "}"))?.objectValue?.count == 40)
    }

    @Test func nestingAtTheLimitParsesAndOneDeeperIsRefused() throws {
        let atLimit = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONValue.parse(atLimit)
        let tooDeep = String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)
        do {
            _ = try JSONValue.parse(tooDeep)
            Issue.record("65 levels were accepted")
        } catch {
            #expect(error.kind == .tooDeep)
            #expect(error.jsonRPCCode == -32600)
            #expect(error.pointer == String(repeating: "/a", count: 64))
        }
    }

    @Test func depthLimitIsConfigurable() {
        #expect(throws: JSONParseError.self) { try JSONParser(maxDepth: 2).parse("[[[1]]]") }
        #expect((try? JSONParser(maxDepth: 3).parse("[[[1]]]")) != nil)
    }

    /// Issue 10 item 26: a JSON-RPC batch over its cap is refused where its first extra element
    /// begins, without reading the rest; arrays below the top level are not counted.
    @Test func aTopLevelArrayBeyondItsElementLimitIsRefusedWhereTheExtraElementBegins() {
        let parser = JSONParser(maxTopLevelElements: 2)
        #expect((try? parser.parse("[1, [2, 3, 4]]"))?.arrayValue?.count == 2)
        #expect((try? parser.parse(#"{"a": [1, 2, 3]}"#)) != nil)
        #expect {
            try parser.parse("[1, 2, 3, not json")
        } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            return error.kind == .tooManyElements && error.offset == 7 && error.jsonRPCCode == -32600
        }
    }

    @Test func hostileDeepNestingFailsWithoutCrashing() {
        let bomb = String(repeating: "[", count: 1_000_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bomb) }
    }

    @Test func errorKindsMapToJSONRPCCodesOfSpec59() {
        #expect(JSONParseError(.duplicateKey, at: 0, "").jsonRPCCode == -32600)
        #expect(JSONParseError(.tooDeep, at: 0, "").jsonRPCCode == -32600)
        #expect(JSONParseError(.tooManyElements, at: 0, "").jsonRPCCode == -32600)
        #expect(JSONParseError(.invalidUTF8, at: 0, "").jsonRPCCode == -32700)
        #expect(JSONParseError(.loneSurrogate, at: 0, "").jsonRPCCode == -32700)
        #expect(JSONParseError(.syntax, at: 0, "").jsonRPCCode == -32700)
    }

    @Test func pointerTokensAreEscapedPerRFC6901() {
        #expect(JSONPointer.appending("/tools", "a/b~c") == "/tools/a~1b~0c")
        #expect(JSONPointer.escape("plain") == "plain")
    }
}
