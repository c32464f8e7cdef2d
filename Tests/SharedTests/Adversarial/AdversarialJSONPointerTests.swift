import Testing
@testable import Shared
import JSON
import PolicyEngine

/// Found by the policy fuzz target (docs/fuzzing.md): a key whose `/` or `~` is followed by a
/// combining mark came out of `JSONPointer.escape` unescaped, because the two form one Character.
/// The pointer then named another place, so the rule an audit row and the agent were told about
/// was not the rule that decided.
@Suite struct AdversarialJSONPointerTests {
    @Test func slashAndTildeBeforeACombiningMarkAreEscaped() {
        #expect(JSONPointer.escape("a/\u{301}b") == "a~1\u{301}b")
        #expect(JSONPointer.escape("~\u{301}") == "~0\u{301}")
        #expect(JSONPointer.appending("/tools", "get/\u{484}*") == "/tools/get~1\u{484}*")
    }

    @Test func ruleOfAToolNamedWithSlashAndCombiningMarkPointsAtThatTool() throws {
        let tool = "a/\u{301}b"
        let policy = try CompiledPolicy(json: Array(#"""
            {"version": "1", "default": "allow", "tools": {"\#(tool)": {"deny_if": [{"conditions": []}]}}}
            """#.utf8))
        let owner = CounterOwner(accountID: "a", grantID: "g", identityID: "i", serverID: "s")
        let decision = policy.decide(PolicyCall(tool: tool, owner: owner), now: PolicyTime(secondsSince1970: 0))
        #expect(decision.rule == "/tools/a~1\u{301}b/deny_if/0")
    }
}
