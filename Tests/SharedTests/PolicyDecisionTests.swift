import Testing
@testable import Shared
import PolicyEngine

@Suite struct PolicyDecisionTests {
    let spec = try! Fixture.policy(Fixture.specExample)

    @Test func grantWithoutPolicyDeniesEveryCall() {
        let decision = CompiledPolicy.decide(policy: nil, call: Fixture.call("list-pods"), now: Fixture.now)
        #expect(decision.denial == PolicyDenial(code: .noPolicy, rule: "(no policy)", message: #"Tool "list-pods" is not allowed: this grant has no policy attached."#))
    }

    @Test func hiddenToolIsUnknownToTheAgent() {
        #expect(spec.decide(Fixture.call("delete-pod"), now: Fixture.now) == .hidden)
        #expect(!spec.isListed(tool: "delete-pod", riskClass: .destructive, definitionApproved: true))
        #expect(PolicyMessages.unknownTool("delete-pod") == "Unknown tool: delete-pod")
    }

    @Test func riskHideHidesOnlyToolsWithoutAnEntry() throws {
        #expect(spec.decide(Fixture.call("delete-endpoint", risk: .destructive), now: Fixture.now) == .hidden)
        let listed = try Fixture.policy(#"{"version": "1", "default": "deny", "tools": {"delete-endpoint": {}}, "risk": {"destructive": "hide"}}"#)
        #expect(listed.decide(Fixture.call("delete-endpoint", risk: .destructive), now: Fixture.now).isAllow)
    }

    @Test func hideWinsOverAnEntryAndAcceptsGlobs() throws {
        let policy = try Fixture.policy(#"{"version": "1", "default": "allow", "hide": ["delete-*", "stop-pod"], "tools": {"stop-pod": {}}}"#)
        #expect(policy.decide(Fixture.call("stop-pod"), now: Fixture.now) == .hidden)
        #expect(policy.decide(Fixture.call("delete-template"), now: Fixture.now) == .hidden)
        #expect(policy.decide(Fixture.call("list-pods"), now: Fixture.now).isAllow)
    }

    @Test func unapprovedDefinitionIsBlockedUnderPinBlockOnly() throws {
        let denial = spec.decide(Fixture.call("list-pods", approved: false), now: Fixture.now).denial
        #expect(denial?.code == .pinBlocked)
        #expect(denial?.rule == "(pin)")
        #expect(!spec.isListed(tool: "list-pods", riskClass: .read, definitionApproved: false))
        for mode in ["warn", "off"] {
            let policy = try Fixture.policy(#"{"version": "1", "default": "deny", "pin": "\#(mode)", "tools": {"list-pods": {}}}"#)
            #expect(policy.decide(Fixture.call("list-pods", approved: false), now: Fixture.now).isAllow)
            #expect(policy.isListed(tool: "list-pods", riskClass: nil, definitionApproved: false))
        }
    }

    @Test func unlistedToolFallsToDefaultDeny() {
        let denial = spec.decide(Fixture.call("stop-pods-everywhere"), now: Fixture.now).denial
        #expect(denial == PolicyDenial(code: .defaultDeny, rule: "(default deny)", message: #"Tool "stop-pods-everywhere" is not allowed by this policy (default deny)."#))
    }

    @Test func defaultAllowLetsUnlistedToolsThroughAllToolsRules() throws {
        let policy = try Fixture.policy(#"{"version": "1", "default": "allow", "all_tools": {"limits": [{"counter": "all", "window": "hour", "max": 3}]}}"#)
        #expect(policy.decide(Fixture.call("anything"), now: Fixture.now).counters?.map(\.counter) == ["all"])
    }

    struct RiskCase: Sendable, CustomTestStringConvertible {
        let action: String
        let expected: String
        var testDescription: String { "risk \(action) → \(expected)" }
    }

    @Test(arguments: [RiskCase(action: "allow", expected: "allow"), RiskCase(action: "deny", expected: "risk_denied"),
                      RiskCase(action: "hide", expected: "hidden"), RiskCase(action: "approve", expected: "approval")])
    func riskClassDecidesToolsWithoutAnEntry(_ c: RiskCase) throws {
        let policy = try Fixture.policy(#"{"version": "1", "default": "deny", "risk": {"write": "\#(c.action)"}}"#)
        let decision = policy.decide(Fixture.call("update-pod", risk: .write), now: Fixture.now)
        switch decision {
        case .allow: #expect(c.expected == "allow")
        case .hidden: #expect(c.expected == "hidden")
        case .deny(let denial):
            #expect(c.expected == denial.code.rawValue)
            #expect(denial.rule == "(risk)")
            #expect(denial.message == #"Tool "update-pod" is not allowed by this policy (risk class write)."#)
        case .needsApproval(let requirement, _):
            #expect(c.expected == "approval")
            #expect(requirement == ApprovalRequirement(rule: "(risk)", timeoutSeconds: 900, holdSeconds: 25))
        }
        // A class the map does not list, or an unknown class, falls back to `default`.
        #expect(policy.decide(Fixture.call("update-pod", risk: .read), now: Fixture.now).denial?.code == .defaultDeny)
        #expect(policy.decide(Fixture.call("update-pod"), now: Fixture.now).denial?.code == .defaultDeny)
    }

    @Test func exactKeyWinsOverGlobAndMostSpecificGlobWins() throws {
        let policy = try Fixture.policy(#"""
        {"version": "1", "default": "deny", "tools": {
          "*": {"deny_if": [{"name": "star", "conditions": []}]},
          "get-*": {"deny_if": [{"name": "get", "conditions": []}]},
          "get-pod*": {"deny_if": [{"name": "get-pod", "conditions": []}]},
          "*-pod": {"deny_if": [{"name": "suffix", "conditions": []}]},
          "get-pod": {}
        }}
        """#)
        #expect(policy.decide(Fixture.call("get-pod"), now: Fixture.now).isAllow)
        #expect(policy.decide(Fixture.call("get-pods"), now: Fixture.now).denial?.rule == "/tools/get-pod*/deny_if/0")
        #expect(policy.decide(Fixture.call("get-endpoint"), now: Fixture.now).denial?.rule == "/tools/get-*/deny_if/0")
        #expect(policy.decide(Fixture.call("stop-pod"), now: Fixture.now).denial?.rule == "/tools/*-pod/deny_if/0")
        #expect(policy.decide(Fixture.call("list-templates"), now: Fixture.now).denial?.rule == "/tools/*/deny_if/0")
    }

    /// Issue 10 item 13: equally specific globs are ordered by code points, not by document order,
    /// which jsonb does not keep (`*` sorts before letters).
    @Test func globTiesFollowTheDocumentedTotalOrder() throws {
        let policy = try Fixture.policy(#"{"version": "1", "default": "deny", "tools": {"a*": {"deny_if": [{"conditions": []}]}, "*b": {}}}"#)
        #expect(policy.decide(Fixture.call("ab"), now: Fixture.now).isAllow)
    }

    @Test func rulesRunInSpecOrderAndTheFirstDenialWins() throws {
        let policy = try Fixture.policy(#"""
        {"version": "1", "default": "deny",
         "all_tools": {"require": [{"conditions": [{"path": "args.a", "op": "exists", "value": true}]}],
                       "deny_if": [{"conditions": [{"path": "args.b", "op": "exists", "value": true}]}]},
         "tools": {"t": {"require": [{"conditions": [{"path": "args.c", "op": "exists", "value": true}]}],
                         "deny_if": [{"conditions": [{"path": "args.d", "op": "exists", "value": true}]}],
                         "limits": [{"counter": "t", "window": "second", "max": 1}]}}}
        """#)
        let steps: [(String, String?)] = [
            (#"{"b": 1, "d": 1}"#, "/all_tools/require/0"),
            (#"{"a": 1, "b": 1, "d": 1}"#, "/all_tools/deny_if/0"),
            (#"{"a": 1, "d": 1}"#, "/tools/t/require/0"),
            (#"{"a": 1, "c": 1, "d": 1}"#, "/tools/t/deny_if/0"),
            (#"{"a": 1, "c": 1}"#, nil),
        ]
        for (arguments, rule) in steps {
            #expect(policy.decide(Fixture.call("t", arguments), now: Fixture.now).rule == rule, "\(arguments)")
        }
    }

    @Test func requireDeniesWhenAnyConditionIsFalse() throws {
        let policy = try Fixture.policy(#"""
        {"version": "1", "default": "deny", "tools": {"t": {"require": [{"name": "small-and-eu", "conditions": [
          {"path": "args.n", "op": "lte", "value": 2}, {"path": "args.r", "op": "eq", "value": "eu"}]}]}}}
        """#)
        #expect(policy.decide(Fixture.call("t", #"{"n": 1, "r": "eu"}"#), now: Fixture.now).isAllow)
        let denial = policy.decide(Fixture.call("t", #"{"n": 1, "r": "us"}"#), now: Fixture.now).denial
        #expect(denial == PolicyDenial(code: .requireFailed, rule: "/tools/t/require/0",
                                       message: #"Call to "t" does not meet requirement small-and-eu: args.r eq "eu" is not satisfied."#))
    }

    @Test func policyLayerDenyIfWithEmptyConditionsAlwaysDenies() throws {
        let policy = try Fixture.policy(#"""
        {"version": "1", "default": "allow", "tools": {"delete-pod": {"deny_if": [{"conditions": [], "on_deny": "Pods are never deleted by agents."}]}}}
        """#)
        let denial = policy.decide(Fixture.call("delete-pod", #"{"podId": "p1"}"#), now: Fixture.now).denial
        #expect(denial == PolicyDenial(code: .denyIf, rule: "/tools/delete-pod/deny_if/0", message: "Pods are never deleted by agents."))
        #expect(denial?.toolResult().serialized() == #"{"content":[{"type":"text","text":"[POLICY DENIED] Pods are never deleted by agents."}],"isError":true,"_meta":{"portcullis/decision":{"code":"deny_if","rule":"/tools/delete-pod/deny_if/0"}}}"#)
    }

    @Test func specExampleBehavesAsWritten() {
        let now = Fixture.now
        #expect(spec.decide(Fixture.call("list-pods"), now: now).counters?.map(\.counter) == ["all-calls"])
        #expect(spec.decide(Fixture.call("get-pod", #"{"podId": "p"}"#), now: now).isAllow)
        #expect(spec.decide(Fixture.call("create-pod", #"{"gpuCount": 3, "imageName": "a:1"}"#), now: now).denial?.message == "At most 2 GPUs per pod.")
        #expect(spec.decide(Fixture.call("create-pod", #"{"gpuCount": 1, "imageName": "a:latest"}"#), now: now).denial?.message == "Pin an image tag.")
        #expect(spec.decide(Fixture.call("create-pod", #"{"gpuCount": 1, "imageName": "a:1"}"#), now: now).isAllow)
        guard case .needsApproval(let requirement, let counters) = spec.decide(Fixture.call("create-pod", #"{"gpuCount": 2, "imageName": "a:1"}"#), now: now) else {
            Issue.record("two GPUs should need approval")
            return
        }
        #expect(requirement == ApprovalRequirement(rule: "/tools/create-pod/approval", timeoutSeconds: 900, holdSeconds: 25))
        #expect(counters.map(\.counter) == ["all-calls"])
        #expect(spec.decide(Fixture.call("list-gpu-types", risk: .read), now: now).isAllow)
        #expect(spec.auditArguments == .keys && spec.pin == .block)
    }

    @Test func approvalWithoutWhenAlwaysAppliesAndCarriesItsSettings() throws {
        let policy = try Fixture.policy(#"{"version": "1", "default": "deny", "tools": {"pay": {"approval": {"timeout": "1h", "hold": "10s", "on_deny": "Finance must approve."}}}}"#)
        guard case .needsApproval(let requirement, _) = policy.decide(Fixture.call("pay"), now: Fixture.now) else {
            Issue.record("expected approval")
            return
        }
        #expect(requirement == ApprovalRequirement(rule: "/tools/pay/approval", timeoutSeconds: 3600, holdSeconds: 10, onDeny: "Finance must approve."))
    }

    @Test func approvalIsAskedOnlyAfterEveryOtherRulePasses() throws {
        let policy = try Fixture.policy(#"{"version": "1", "default": "deny", "tools": {"pay": {"require": [{"conditions": [{"path": "args.amount", "op": "lte", "value": 100}]}], "approval": {}}}}"#)
        #expect(policy.decide(Fixture.call("pay", #"{"amount": 500}"#), now: Fixture.now).denial?.code == .requireFailed)
    }
}
