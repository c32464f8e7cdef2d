import Foundation
import Testing
@testable import Shared
import PolicyEngine

/// Every policy example in docs/policy-language.md must get the verdict its fence label claims from
/// the engine; Tests/docs/check_policy_examples.py holds the schema to the same labels.
@Suite struct DocsPolicyExamplesTests {
    struct Example: Sendable, CustomTestStringConvertible {
        let line: Int
        let valid: Bool
        let body: String
        var testDescription: String { "policy-language.md:\(line) (\(valid ? "policy" : "invalid-policy"))" }
    }

    /// The repository root, found from this file even when the test folder is reached through a symlink.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let examples: [Example] = {
        let url = repositoryRoot.appendingPathComponent("docs/policy-language.md")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        var examples: [Example] = []
        var current: (line: Int, valid: Bool, body: [Substring])?
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if var open = current {
                if trimmed == "```" {
                    examples.append(Example(line: open.line, valid: open.valid, body: open.body.joined(separator: "\n")))
                    current = nil
                } else {
                    open.body.append(line)
                    current = open
                }
            } else if trimmed == "```json policy" || trimmed == "```json invalid-policy" {
                current = (number + 1, trimmed == "```json policy", [])
            }
        }
        return examples
    }()

    @Test func documentationHasValidAndInvalidExamples() {
        #expect(Self.examples.filter(\.valid).count >= 6)
        #expect(Self.examples.filter { !$0.valid }.count >= 5)
    }

    @Test(arguments: examples)
    func exampleGetsTheVerdictItsLabelClaims(_ example: Example) {
        let verdict = Result { () throws(PolicyValidationError) in try CompiledPolicy(json: Array(example.body.utf8)) }
        switch verdict {
        case .success: #expect(example.valid, "the engine accepts an example labelled invalid-policy")
        case .failure(let error): #expect(!example.valid, "the engine rejects it: \(error)")
        }
    }

    @Test func seedExampleBehavesAsTheTextSays() throws {
        let seed = try #require(Self.examples.first { $0.body.contains("stop-pod_rate") && !$0.body.contains("all-calls") })
        let policy = try CompiledPolicy(json: Array(seed.body.utf8))
        let reservation = try #require(policy.decide(Fixture.call("stop-pod"), now: Fixture.now).counters?.first)
        #expect(reservation.exhaustedDenial(now: Fixture.now).message == #"Rate limit of 10 per minute reached for counter "stop-pod_rate". Try again in 17s."#)
        #expect(policy.decide(Fixture.call("start-pod"), now: Fixture.now).denial?.message == #"Tool "start-pod" is not allowed by this policy (default deny)."#)
    }

    @Test func globExampleResolvesAsTheTextSays() throws {
        let globs = try #require(Self.examples.first { $0.body.contains("\"*-endpoint\"") })
        let policy = try CompiledPolicy(json: Array(globs.body.utf8))
        #expect(policy.decide(Fixture.call("get-endpoint", #"{"endpointId": "bad id"}"#), now: Fixture.now).denial?.rule == "/tools/*-endpoint/require/0")
        #expect(policy.decide(Fixture.call("get-container-registry-auth"), now: Fixture.now).counters?.first?.counter == "registry-reads")
        #expect(policy.decide(Fixture.call("delete-template"), now: Fixture.now) == .hidden)
    }
}
