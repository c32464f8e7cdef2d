import Testing
@testable import JSON
@testable import PolicyEngine
@testable import Shared

/// Properties checked over seeded random policies and calls; a failure names its seed.
@Suite struct PolicyPropertyTests {
    static let toolPool = ["list-pods", "get-pod", "stop-pod", "start-pod", "delete-pod", "create-pod", "list-templates",
                           "get-endpoint", "run-endpoint", "purge-endpoint-queue", "a", "a*b"]
    static let globPool = ["get-*", "*-pod", "list-*", "*", "*end*", "st*-pod"]

    struct RandomPolicy {
        let json: String
        let listed: [String]
        let globs: [String]
        let hidden: [String]
        let risk: [RiskClass: RiskAction]
    }

    static func randomPolicy(_ random: inout SeededRandom, defaultDecision: String = "deny") -> RandomPolicy {
        let listed = toolPool.filter { name in random.int(0...3) == 0 && !name.contains("*") }
        let globs = globPool.filter { _ in random.int(0...4) == 0 }
        let hidden = (toolPool + ["delete-*"]).filter { _ in random.int(0...5) == 0 }
        var risk: [RiskClass: RiskAction] = [:]
        for riskClass in RiskClass.allCases where random.int(0...2) == 0 { risk[riskClass] = random.pick(RiskAction.allCases) }
        let entries = (listed + globs).map { name -> String in
            let limit = random.int(0...1) == 0 ? "" : #""limits": [{"counter": "shared", "window": "minute", "max": 3}]"#
            return #""\#(name)": {\#(limit)}"#
        }
        let riskJSON = risk.map { #""\#($0.key.rawValue)": "\#($0.value.rawValue)""# }.joined(separator: ",")
        let hideJSON = hidden.map { #""\#($0)""# }.joined(separator: ",")
        let json = #"{"version": "1", "default": "\#(defaultDecision)", "hide": [\#(hideJSON)], "risk": {\#(riskJSON)}, "tools": {\#(entries.joined(separator: ","))}}"#
        return RandomPolicy(json: json, listed: listed, globs: globs, hidden: hidden, risk: risk)
    }

    static let names = toolPool + ["update-pod", "delete-template", "endpoint-health", "x", "", "get-", "-pod"]

    @Test func underDefaultDenyAnUncoveredToolIsNeverAllowed() throws {
        var random = SeededRandom(seed: 7)
        for seed in 0..<300 {
            let generated = Self.randomPolicy(&random)
            let policy = try Fixture.policy(generated.json)
            for name in Self.names {
                let riskClass: RiskClass? = random.int(0...1) == 0 ? nil : random.pick(RiskClass.allCases)
                let covered = generated.listed.contains(name) || generated.globs.contains { ToolNameGlob($0).matches(name) }
                    || (riskClass.flatMap { generated.risk[$0] }.map { $0 == .allow || $0 == .approve } ?? false)
                guard !covered else { continue }
                let decision = policy.decide(Fixture.call(name, risk: riskClass), now: Fixture.now)
                #expect(!decision.isAllow, "seed \(seed): \(name) allowed by \(generated.json)")
                if case .needsApproval = decision { Issue.record("seed \(seed): \(name) reached approval") }
            }
        }
    }

    @Test func aHiddenToolIsNeverAllowedNorListed() throws {
        var random = SeededRandom(seed: 11)
        for seed in 0..<300 {
            let generated = Self.randomPolicy(&random, defaultDecision: random.pick(["allow", "deny"]))
            let policy = try Fixture.policy(generated.json)
            for name in Self.names {
                let riskClass: RiskClass? = random.int(0...1) == 0 ? nil : random.pick(RiskClass.allCases)
                let hidden = generated.hidden.contains { $0 == name || (ToolNameGlob.isGlob($0) && ToolNameGlob($0).matches(name)) }
                guard hidden else { continue }
                #expect(policy.decide(Fixture.call(name, risk: riskClass), now: Fixture.now) == .hidden, "seed \(seed): \(name)")
                #expect(!policy.isListed(tool: name, riskClass: riskClass, definitionApproved: true), "seed \(seed): \(name)")
            }
        }
    }

    @Test func toolsNamingTheSameCounterShareItsBucket() throws {
        var random = SeededRandom(seed: 13)
        for seed in 0..<200 {
            let generated = Self.randomPolicy(&random, defaultDecision: "allow")
            let policy = try Fixture.policy(generated.json)
            let second = random.int(0...59_999)
            let now = PolicyTime(millisecondsSince1970: Fixture.now.millisecondsSince1970 / 60_000 * 60_000 + Int64(second))
            let keys = Set(Self.names.compactMap { name in
                policy.decide(Fixture.call(name), now: now).counters?.first { $0.counter == "shared" }?.storageKey
            })
            #expect(keys.count <= 1, "seed \(seed): \(keys)")
        }
    }

    @Test func anUnknownFieldAnywhereIsReportedAtItsPointer() throws {
        var random = SeededRandom(seed: 17)
        let base = try JSONValue.parse(Fixture.specExample)
        for seed in 0..<100 {
            var pointer = ""
            let mutated = Self.insertUnknownField(into: base, random: &random, pointer: &pointer)
            let problems = CompiledPolicy.validate(mutated)
            #expect(problems.contains { $0.pointer == pointer && $0.message.hasPrefix("unknown field") }, "seed \(seed): \(pointer) \(problems)")
        }
    }

    /// Adds `"zz_typo": 1` to a randomly chosen object that is not a free-form map (tools, risk, metadata).
    static func insertUnknownField(into value: JSONValue, random: inout SeededRandom, pointer: inout String) -> JSONValue {
        guard case .object(var object) = value else { return value }
        let freeForm = pointer == "/tools"
        let children = object.members.filter { $0.value.objectValue != nil || $0.value.arrayValue?.first?.objectValue != nil }
        if !freeForm, children.isEmpty || random.int(0...2) == 0 {
            object["zz_typo"] = 1
            pointer += "/zz_typo"
            return .object(object)
        }
        let child = random.pick(children.isEmpty ? object.members : children)
        pointer = JSONPointer.appending(pointer, child.key)
        if case .array(var elements) = child.value, !elements.isEmpty {
            pointer += "/0"
            elements[0] = insertUnknownField(into: elements[0], random: &random, pointer: &pointer)
            object[child.key] = .array(elements)
        } else {
            object[child.key] = insertUnknownField(into: child.value, random: &random, pointer: &pointer)
        }
        return .object(object)
    }

    /// The glob index must pick what a plain scan in priority order would pick.
    @Test func globIndexAgreesWithALinearScan() {
        var random = SeededRandom(seed: 29)
        let alphabet: [Character] = ["a", "b", "-", "é", "*"]
        func text(_ length: Int) -> String { String((0..<length).map { _ in random.pick(alphabet) }) }
        for seed in 0..<300 {
            let globs = (0..<random.int(1...12)).map { _ in ToolNameGlob(text(random.int(0...4)) + "*" + text(random.int(0...4))) }
            let ordered = globs.enumerated().sorted { ($0.element.specificity, -$0.offset) > ($1.element.specificity, -$1.offset) }
            let index = ToolGlobIndex(ordered.map { ($0.element, $0.offset) })
            for _ in 0..<20 {
                let name = text(random.int(0...7)).replacingAll("*", with: "x")
                let expected = ordered.first { $0.element.matches(name) }?.offset
                #expect(index.first(matching: name) == expected, "seed \(seed): \(name) in \(globs.map(\.pattern))")
            }
        }
    }
}
