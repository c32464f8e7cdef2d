import Testing
@testable import JSON
@testable import PolicyEngine
@testable import Shared

@Suite struct PolicyPathTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let path: String
        let expected: JSONValue?
        var testDescription: String { path }
    }

    static let call = Fixture.call(
        "t", #"{"a": {"b": "deep"}, "items": [{"id": "first"}, {"id": "second"}], "0": "key-zero", "list": ["x"]}"#,
        label: "ci-runner", metadata: #"{"team": "ml", "tier": {"level": 2}}"#, session: "ses_9")

    static let cases: [Case] = [
        Case(path: "args.a.b", expected: "deep"),
        Case(path: "args.a", expected: ["b": "deep"]),
        Case(path: "args.items.1.id", expected: "second"),
        Case(path: "args.items.2.id", expected: nil),
        Case(path: "args.items.01.id", expected: nil),
        Case(path: "args.0", expected: "key-zero"),
        Case(path: "args.list.0.x", expected: nil),
        Case(path: "args.a.b.c", expected: nil),
        Case(path: "identity.label", expected: "ci-runner"),
        Case(path: "identity.metadata.team", expected: "ml"),
        Case(path: "identity.metadata.tier.level", expected: 2),
        Case(path: "identity.metadata.none", expected: nil),
        Case(path: "session.id", expected: "ses_9"),
    ]

    @Test(arguments: cases)
    func pathResolvesToTheValueItNames(_ c: Case) throws {
        let path = try PolicyPath.parse(c.path).get()
        #expect(path.resolve(in: Self.call) == c.expected)
    }

    @Test func sessionPathIsMissingWithoutASession() throws {
        let path = try PolicyPath.parse("session.id").get()
        #expect(path.resolve(in: Fixture.call("t")) == nil)
    }

    @Test(arguments: ["args", "args.", "args..a", "arguments.a", "identity", "identity.name", "identity.metadata", "session", "session.key", ""])
    func malformedPathIsRejected(_ text: String) {
        #expect((try? PolicyPath.parse(text).get()) == nil)
    }
}
