import Testing
@testable import Shared
import PolicyEngine

@Suite struct PolicyConditionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let path: String
        let op: String
        let value: String
        let arguments: String
        let holds: Bool
        var testDescription: String { "\(path) \(op) \(value) on \(arguments) → \(holds)" }
    }

    static let cases: [Case] = [
        // eq / neq: numbers as numbers, everything else as strings.
        Case(path: "args.n", op: "eq", value: "2", arguments: #"{"n": 2.0}"#, holds: true),
        Case(path: "args.n", op: "eq", value: "2", arguments: #"{"n": 3}"#, holds: false),
        Case(path: "args.n", op: "eq", value: "2", arguments: #"{"n": "2"}"#, holds: true),
        Case(path: "args.s", op: "eq", value: #""a""#, arguments: #"{"s": "a"}"#, holds: true),
        Case(path: "args.s", op: "eq", value: #""a""#, arguments: #"{"s": "A"}"#, holds: false),
        Case(path: "args.b", op: "eq", value: "true", arguments: #"{"b": true}"#, holds: true),
        Case(path: "args.o", op: "eq", value: #""x""#, arguments: #"{"o": {"x": 1}}"#, holds: false),
        Case(path: "args.n", op: "eq", value: "12345678901234567890", arguments: #"{"n": 12345678901234567891}"#, holds: false),
        Case(path: "args.s", op: "neq", value: #""a""#, arguments: #"{"s": "b"}"#, holds: true),
        Case(path: "args.s", op: "neq", value: #""a""#, arguments: #"{"s": "a"}"#, holds: false),
        Case(path: "args.s", op: "neq", value: #""a""#, arguments: #"{}"#, holds: false),
        // in / not_in
        Case(path: "args.r", op: "in", value: #"["eu", "us"]"#, arguments: #"{"r": "eu"}"#, holds: true),
        Case(path: "args.r", op: "in", value: #"["eu", "us"]"#, arguments: #"{"r": "ap"}"#, holds: false),
        Case(path: "args.n", op: "in", value: "[1, 2]", arguments: #"{"n": 2.0}"#, holds: true),
        Case(path: "args.r", op: "not_in", value: #"["eu"]"#, arguments: #"{"r": "us"}"#, holds: true),
        Case(path: "args.r", op: "not_in", value: #"["eu"]"#, arguments: #"{"r": "eu"}"#, holds: false),
        Case(path: "args.r", op: "not_in", value: #"["eu"]"#, arguments: #"{}"#, holds: false),
        // lt / lte / gt / gte: numbers only.
        Case(path: "args.n", op: "lt", value: "2", arguments: #"{"n": 1}"#, holds: true),
        Case(path: "args.n", op: "lt", value: "2", arguments: #"{"n": 2}"#, holds: false),
        Case(path: "args.n", op: "lte", value: "2", arguments: #"{"n": 2}"#, holds: true),
        Case(path: "args.n", op: "lte", value: "2", arguments: #"{"n": 2.5}"#, holds: false),
        Case(path: "args.n", op: "gt", value: "1", arguments: #"{"n": 1e1}"#, holds: true),
        Case(path: "args.n", op: "gt", value: "1", arguments: #"{"n": 1}"#, holds: false),
        Case(path: "args.n", op: "gte", value: "-1.5", arguments: #"{"n": -1.5}"#, holds: true),
        Case(path: "args.n", op: "gte", value: "0", arguments: #"{"n": -1}"#, holds: false),
        Case(path: "args.n", op: "lt", value: "5", arguments: #"{"n": "1"}"#, holds: false),
        Case(path: "args.n", op: "gt", value: "9007199254740992", arguments: #"{"n": 9007199254740993}"#, holds: true),
        // regex: unanchored unless anchored.
        Case(path: "args.i", op: "regex", value: #"":latest$""#, arguments: #"{"i": "nginx:latest"}"#, holds: true),
        Case(path: "args.i", op: "regex", value: #"":latest$""#, arguments: #"{"i": "nginx:latest-1"}"#, holds: false),
        Case(path: "args.i", op: "regex", value: #""gin""#, arguments: #"{"i": "nginx"}"#, holds: true),
        Case(path: "args.i", op: "regex", value: #""^gin""#, arguments: #"{"i": "nginx"}"#, holds: false),
        Case(path: "args.i", op: "regex", value: #""^\\d+$""#, arguments: #"{"i": 42}"#, holds: false),
        Case(path: "args.i", op: "regex", value: #""^.$""#, arguments: #"{"i": "é"}"#, holds: true),
        Case(path: "args.i", op: "regex", value: #""^nginx$""#, arguments: #"{"i": "nginx"}"#, holds: true),
        Case(path: "args.i", op: "regex", value: #""^nginx$""#, arguments: #"{"i": "nginx2"}"#, holds: false),
        Case(path: "args.i", op: "regex", value: #""(?i)^NGINX""#, arguments: #"{"i": "nginx"}"#, holds: true),
        // contains: substring, or element of a list.
        Case(path: "args.s", op: "contains", value: #""prod""#, arguments: #"{"s": "my-prod-db"}"#, holds: true),
        Case(path: "args.s", op: "contains", value: #""prod""#, arguments: #"{"s": "staging"}"#, holds: false),
        Case(path: "args.l", op: "contains", value: #""b""#, arguments: #"{"l": ["a", "b"]}"#, holds: true),
        Case(path: "args.l", op: "contains", value: "3", arguments: #"{"l": [1, 3.0]}"#, holds: true),
        Case(path: "args.l", op: "contains", value: #""c""#, arguments: #"{"l": ["a", "b"]}"#, holds: false),
        Case(path: "args.n", op: "contains", value: "1", arguments: #"{"n": 1}"#, holds: false),
        // exists
        Case(path: "args.x", op: "exists", value: "true", arguments: #"{"x": null}"#, holds: true),
        Case(path: "args.x", op: "exists", value: "true", arguments: #"{}"#, holds: false),
        Case(path: "args.x", op: "exists", value: "false", arguments: #"{}"#, holds: true),
        Case(path: "args.x", op: "exists", value: "false", arguments: #"{"x": 1}"#, holds: false),
        // len_lte / len_gte: strings by Unicode scalars, lists and objects by count.
        Case(path: "args.s", op: "len_lte", value: "3", arguments: #"{"s": "héé"}"#, holds: true),
        Case(path: "args.s", op: "len_lte", value: "3", arguments: #"{"s": "abcd"}"#, holds: false),
        Case(path: "args.l", op: "len_gte", value: "2", arguments: #"{"l": [1, 2]}"#, holds: true),
        Case(path: "args.l", op: "len_gte", value: "2", arguments: #"{"l": [1]}"#, holds: false),
        Case(path: "args.o", op: "len_lte", value: "1", arguments: #"{"o": {"a": 1}}"#, holds: true),
        Case(path: "args.n", op: "len_gte", value: "0", arguments: #"{"n": 5}"#, holds: false),
    ]

    /// Each case becomes a `deny_if` rule: the call is denied exactly when the condition holds.
    @Test(arguments: cases)
    func operatorDecidesAsSpecified(_ c: Case) throws {
        let policy = try Fixture.policy("""
        {"version": "1", "default": "allow", "all_tools": {"deny_if": [{"conditions": [
          {"path": "\(c.path)", "op": "\(c.op)", "value": \(c.value)}]}]}}
        """)
        let decision = policy.decide(Fixture.call("t", c.arguments), now: Fixture.now)
        #expect((decision.denial?.code == .denyIf) == c.holds)
    }

    @Test func missingPathMakesEveryOperatorFalseExceptExistsFalse() throws {
        let values: [PolicyCondition.Operator: String] = [
            .eq: "1", .neq: "1", .in: "[1]", .not_in: "[1]", .lt: "1", .lte: "1", .gt: "1", .gte: "1",
            .regex: #"".*""#, .contains: #""""#, .exists: "true", .len_lte: "5", .len_gte: "0",
        ]
        #expect(values.count == PolicyCondition.Operator.allCases.count, "every operator is covered")
        for (op, value) in values {
            let policy = try Fixture.policy("""
            {"version": "1", "default": "allow", "all_tools": {"deny_if": [{"conditions": [
              {"path": "args.missing.deep", "op": "\(op.rawValue)", "value": \(value)}]}]}}
            """)
            #expect(policy.decide(Fixture.call("t", #"{"other": 1}"#), now: Fixture.now).isAllow, "op \(op.rawValue)")
        }
        let existsFalse = try Fixture.policy("""
        {"version": "1", "default": "allow", "all_tools": {"deny_if": [{"conditions": [
          {"path": "args.missing", "op": "exists", "value": false}]}]}}
        """)
        #expect(existsFalse.decide(Fixture.call("t"), now: Fixture.now).denial?.code == .denyIf)
    }

    /// Plain-text patterns skip the regex engine; they must agree with it on every input.
    @Test func literalPatternsMatchExactlyLikeTheRegexEngine() throws {
        var random = SeededRandom(seed: 23)
        let alphabet: [Character] = ["a", "b", ":", "-", "é", "e\u{301}"]
        func text(_ length: Int) -> String { String((0..<length).map { _ in random.pick(alphabet) }) }
        for _ in 0..<2_000 {
            let body = text(random.int(0...3))
            let pattern = (random.int(0...1) == 0 ? "^" : "") + body + (random.int(0...1) == 0 ? "$" : "")
            let subject = text(random.int(0...6))
            let engine = try Regex(pattern).matchingSemantics(.unicodeScalar)
            let expected = (try engine.firstMatch(in: subject)) != nil
            #expect(try PolicyRegex(pattern).matches(subject) == expected, "\(pattern) on \(subject)")
        }
    }
}
