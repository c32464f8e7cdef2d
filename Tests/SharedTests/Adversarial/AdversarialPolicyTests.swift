import Testing
@testable import JSON
@testable import PolicyEngine
@testable import Shared

/// Issue 10 items 10, 13, 14 and 23 (code points), at the engine: hostile documents and hostile
/// arguments cannot slow a decision down, reorder glob precedence, slip a wrong type past a
/// condition, or name something the upstream reads differently.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialPolicyTests {
    static func denyIfRegex(_ pattern: String) throws -> CompiledPolicy {
        try Fixture.policy(#"""
        {"version": "1", "default": "deny", "tools": {"run": {"deny_if": [{"conditions": [
          {"path": "args.text", "op": "regex", "value": "\#(pattern)"}]}]}}}
        """#)
    }

    // MARK: item 10, linear-time regexes

    /// `(a+)+$` against 18 `a`s and a `!` took 14 s of a core with a backtracking engine, and each
    /// further `a` doubles it; RE2 answers both at once.
    @Test(arguments: [18, 64])
    func nestedQuantifierRegexDecidesAtOnce(count: Int) async throws {
        let policy = try Self.denyIfRegex("(a+)+$")
        let hostile = String(repeating: "a", count: count) + "!"
        #expect(policy.decide(Fixture.call("run", #"{"text": "\#(hostile)"}"#), now: Fixture.now).isAllow)
        #expect(policy.decide(Fixture.call("run", #"{"text": "\#(String(repeating: "a", count: count))"}"#), now: Fixture.now).denial?.code == .denyIf)
    }

    @Test func regexLongerThanTheCapIsRejectedWithItsPointer() {
        let pattern = String(repeating: "a", count: PolicyRegex.maximumPatternBytes + 1)
        #expect(throws: PolicyValidationError(problems: [PolicyProblem(
            pointer: "/tools/run/deny_if/0/conditions/0/value",
            message: "must be at most \(PolicyRegex.maximumPatternBytes) bytes long (is \(PolicyRegex.maximumPatternBytes + 1))")])) {
            try Self.denyIfRegex(pattern)
        }
        #expect((try? Self.denyIfRegex(String(repeating: "a", count: PolicyRegex.maximumPatternBytes))) != nil)
    }

    /// A short pattern can still expand into a huge program (`((a{100}){100}){100}`): RE2's memory
    /// budget refuses it at validation instead of letting it sit in every worker.
    @Test func regexWhoseProgramExceedsTheMemoryBudgetIsRejected() throws {
        #expect(throws: PolicyValidationError.self) { try Self.denyIfRegex("((a{100}){100}){100}") }
    }

    @Test func regexKeepsRE2Semantics() throws {
        let policy = try Self.denyIfRegex(#"^ep_[a-z0-9]+\\.x$"#)
        #expect(policy.decide(Fixture.call("run", #"{"text": "ep_abc9.x"}"#), now: Fixture.now).denial?.code == .denyIf)
        #expect(policy.decide(Fixture.call("run", #"{"text": "xep_abc9.x"}"#), now: Fixture.now).isAllow)
        // Unanchored unless the pattern anchors; a NUL in the text is just a byte.
        let unanchored = try Self.denyIfRegex("gin")
        #expect(unanchored.decide(Fixture.call("run", #"{"text": "ngin\u0000x"}"#), now: Fixture.now).denial?.code == .denyIf)
    }

    // MARK: item 13, glob precedence independent of key order

    /// `get-*` and `*-pod` have four literal characters each; jsonb may hand them back in either
    /// order, and the decision must not change with it.
    @Test func globPrecedenceIsTheSameInBothKeyOrders() throws {
        let allow = #""get-*": {}"#
        let deny = #""*-pod": {"deny_if": [{"conditions": []}]}"#
        let first = try Fixture.policy(#"{"version": "1", "default": "deny", "tools": {\#(allow), \#(deny)}}"#)
        let second = try Fixture.policy(#"{"version": "1", "default": "deny", "tools": {\#(deny), \#(allow)}}"#)
        let call = Fixture.call("get-pod")
        #expect(first.decide(call, now: Fixture.now) == second.decide(call, now: Fixture.now))
        // The documented order: same literal count, same number of `*`, so by code points: `*` < `g`.
        #expect(first.decide(call, now: Fixture.now).denial?.code == .denyIf)
    }

    @Test func globWithFewerWildcardsWinsAtEqualLiteralCount() throws {
        let loose = #""g*e*t*": {"deny_if": [{"conditions": []}]}"#
        let tight = #""ge*t": {}"#
        for tools in ["\(loose), \(tight)", "\(tight), \(loose)"] {
            let policy = try Fixture.policy(#"{"version": "1", "default": "deny", "tools": {\#(tools)}}"#)
            #expect(policy.decide(Fixture.call("get"), now: Fixture.now).isAllow)
        }
    }

    // MARK: item 14, strict conditions and argument validation

    static func gpuPolicy(mode: String) -> String {
        #"""
    {"version": "1", "default": "deny", "conditions_mode": "\#(mode)", "tools": {"create-pod": {
      "deny_if": [{"name": "too many GPUs", "conditions": [{"path": "args.gpuCount", "op": "gt", "value": 1}]}],
      "approval": {"when": [{"path": "args.region", "op": "regex", "value": "^eu-"}]}}}}
    """#
    }

    @Test func strictConditionsDenyAStringWhereANumberIsCompared() throws {
        let strict = try Fixture.policy(Self.gpuPolicy(mode: "strict"))
        let decision = strict.decide(Fixture.call("create-pod", #"{"gpuCount": "4"}"#), now: Fixture.now)
        #expect(decision.denial == PolicyDenial(
            code: .requireFailed, rule: "/tools/create-pod/deny_if/0",
            message: #"Call to "create-pod" is denied by rule too many GPUs: args.gpuCount is a string, but gt needs a number (strict conditions)."#))
        // The right type is judged as usual, and a missing path is still just false.
        #expect(strict.decide(Fixture.call("create-pod", #"{"gpuCount": 1}"#), now: Fixture.now).isAllow)
        #expect(strict.decide(Fixture.call("create-pod", #"{}"#), now: Fixture.now).isAllow)
        #expect(strict.decide(Fixture.call("create-pod", #"{"gpuCount": 4}"#), now: Fixture.now).denial?.code == .denyIf)
    }

    @Test func lenientConditionsKeepTheDocumentedBehaviour() throws {
        let lenient = try Fixture.policy(Self.gpuPolicy(mode: "lenient"))
        #expect(lenient.decide(Fixture.call("create-pod", #"{"gpuCount": "4"}"#), now: Fixture.now).isAllow)
        #expect(lenient.conditionsMode == .lenient)
        #expect(try Fixture.policy(#"{"version": "1", "default": "deny"}"#).conditionsMode == .lenient)
    }

    @Test func strictApprovalConditionWithTheWrongTypeDenies() throws {
        let strict = try Fixture.policy(Self.gpuPolicy(mode: "strict"))
        let decision = strict.decide(Fixture.call("create-pod", #"{"region": ["eu-west"]}"#), now: Fixture.now)
        #expect(decision.denial?.code == .requireFailed)
        #expect(decision.denial?.rule == "/tools/create-pod/approval/when/0")
        #expect(decision.denial?.message.contains("args.region is an array, but regex needs a string") == true)
    }

    @Test func conditionsModeAndValidateArgumentsAreValidated() {
        #expect(throws: PolicyValidationError(problems: [
            PolicyProblem(pointer: "/conditions_mode", message: "must be one of lenient, strict"),
            PolicyProblem(pointer: "/validate_arguments", message: "must be a boolean"),
        ])) {
            try Fixture.policy(#"{"version": "1", "default": "deny", "conditions_mode": "loose", "validate_arguments": "yes"}"#)
        }
    }

    static let validating = #"{"version": "1", "default": "deny", "validate_arguments": true, "tools": {"create-pod": {}}}"#
    static let podSchema = ArgumentSchema(try! JSONValue.parse(Array(#"""
    {"type": "object", "required": ["imageName"], "properties": {
      "imageName": {"type": "string"}, "gpuCount": {"type": "integer"},
      "ports": {"type": "array", "items": {"type": ["integer", "string"]}}}}
    """#.utf8)))

    static func podCall(_ arguments: String, schema: ArgumentSchema? = podSchema) -> PolicyCall {
        var call = Fixture.call("create-pod", arguments)
        call.inputSchema = schema
        return call
    }

    @Test func validatedArgumentsMustMatchTheCatalogSchemaTypes() throws {
        let policy = try Fixture.policy(Self.validating)
        #expect(policy.decide(Self.podCall(#"{"imageName": "nginx:1.27", "gpuCount": 2, "ports": [80, "http"]}"#), now: Fixture.now).isAllow)
        let cases = [
            (#"{"imageName": "nginx", "gpuCount": "4"}"#, "args.gpuCount must be integer (is a string)"),
            (#"{"imageName": "nginx", "gpuCount": 1.5}"#, "args.gpuCount must be integer (is a number)"),
            (#"{"gpuCount": 1}"#, "args.imageName is required"),
            (#"{"imageName": "nginx", "ports": [80, true]}"#, "args.ports.1 must be integer or string (is a boolean)"),
        ]
        for (arguments, problem) in cases {
            let denial = policy.decide(Self.podCall(arguments), now: Fixture.now).denial
            #expect(denial == PolicyDenial(
                code: .requireFailed, rule: "/validate_arguments",
                message: #"Call to "create-pod" is denied: its arguments do not match the tool's input schema: \#(problem)."#))
        }
    }

    @Test func validateArgumentsDeniesAToolWithoutAKnownSchema() throws {
        let policy = try Fixture.policy(Self.validating)
        let denial = policy.decide(Self.podCall(#"{"imageName": "nginx"}"#, schema: nil), now: Fixture.now).denial
        #expect(denial?.code == .requireFailed)
        #expect(denial?.rule == "/validate_arguments")
        // Without the flag, the schema is not consulted.
        let plain = try Fixture.policy(#"{"version": "1", "default": "deny", "tools": {"create-pod": {}}}"#)
        #expect(plain.decide(Self.podCall(#"{"gpuCount": "4"}"#), now: Fixture.now).isAllow)
    }

    // MARK: item 23, code points rather than canonical equivalence

    static let precomposed = "caf\u{E9}"
    static let decomposed = "cafe\u{301}"

    @Test func toolNamesCompareByCodePoints() throws {
        #expect(Self.precomposed == Self.decomposed, "Swift's String == is what the engine must not use")
        let policy = try Fixture.policy(#"{"version": "1", "default": "deny", "hide": ["\#(Self.precomposed)-x"], "tools": {"\#(Self.precomposed)": {}}}"#)
        #expect(policy.decide(Fixture.call(Self.precomposed), now: Fixture.now).isAllow)
        #expect(policy.decide(Fixture.call(Self.decomposed), now: Fixture.now).denial?.code == .defaultDeny)
        #expect(policy.decide(Fixture.call(Self.precomposed + "-x"), now: Fixture.now) == .hidden)
        #expect(policy.decide(Fixture.call(Self.decomposed + "-x"), now: Fixture.now).denial?.code == .defaultDeny)
    }

    @Test(arguments: ["eq", "contains", "in"])
    func stringConditionsCompareByCodePoints(op: String) throws {
        let value = op == "in" ? #"["\#(Self.precomposed)"]"# : #""\#(Self.precomposed)""#
        let policy = try Fixture.policy(#"""
        {"version": "1", "default": "deny", "tools": {"run": {"deny_if": [{"conditions": [
          {"path": "args.text", "op": "\#(op)", "value": \#(value)}]}]}}}
        """#)
        #expect(policy.decide(Fixture.call("run", #"{"text": "\#(Self.precomposed)"}"#), now: Fixture.now).denial?.code == .denyIf)
        #expect(policy.decide(Fixture.call("run", #"{"text": "\#(Self.decomposed)"}"#), now: Fixture.now).isAllow)
    }

    @Test func argumentKeysCompareByCodePoints() throws {
        let policy = try Fixture.policy(#"""
        {"version": "1", "default": "deny", "tools": {"run": {"deny_if": [{"conditions": [
          {"path": "args.\#(Self.precomposed)", "op": "exists", "value": true}]}]}}}
        """#)
        #expect(policy.decide(Fixture.call("run", #"{"\#(Self.precomposed)": 1}"#), now: Fixture.now).denial?.code == .denyIf)
        #expect(policy.decide(Fixture.call("run", #"{"\#(Self.decomposed)": 1}"#), now: Fixture.now).isAllow)
    }

    @Test func containsFindsASubstringAfterLongPartialMatches() throws {
        let policy = try Fixture.policy(#"""
        {"version": "1", "default": "deny", "tools": {"run": {"deny_if": [{"conditions": [
          {"path": "args.text", "op": "contains", "value": "\#(String(repeating: "a", count: 500))b"}]}]}}}
        """#)
        let text = String(repeating: "a", count: 200_000)
        #expect(policy.decide(Fixture.call("run", #"{"text": "\#(text)"}"#), now: Fixture.now).isAllow)
        #expect(policy.decide(Fixture.call("run", #"{"text": "\#(text)b"}"#), now: Fixture.now).denial?.code == .denyIf)
        #expect(policy.decide(Fixture.call("run", #"{"text": "xaab\#(String(repeating: "a", count: 500))bz"}"#), now: Fixture.now).denial?.code == .denyIf)
    }
}
