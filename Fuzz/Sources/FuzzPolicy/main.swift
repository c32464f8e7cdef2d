import FuzzCheck
import JSON
import PolicyEngine

/// The policy document reader (Sources/Shared/PolicyEngine): parse, validate, compile, then decide calls.
/// The input is a policy document, optionally followed by a NUL byte (never valid inside JSON text)
/// and a call: `{"tool": ..., "arguments": ..., "identity": {"label": ..., "metadata": ...},
/// "session": ..., "risk": ..., "approved": ...}`. Properties, beyond not trapping:
/// - `validate` finds no problem exactly when the document compiles, and the compiled policy keeps
///   the document it was compiled from;
/// - a policy that validates decides every call (the given one and one per tool it names) without
///   trapping, and the same call always gets the same decision;
/// - listing and calling agree (design.md §5.2, §5.3): a tool `tools/list` hides is answered as hidden when
///   called, and one it leaves out for pinning is denied `pin_blocked`;
/// - the rule a decision names, when it is a JSON Pointer, points at a place in the document (the
///   audit row and the agent are told which rule decided);
/// - key order does not matter (issue 10 item 13): the document with every object's keys in
///   jsonb's order (shorter first, then bytewise), as the control plane stores it, validates the same
///   and decides every call the same.
let now = PolicyTime(secondsSince1970: 1_767_225_600)
let owner = CounterOwner(accountID: "account", grantID: "grant", identityID: "identity", serverID: "server")

func checkPolicyProperties(_ input: [UInt8]) {
    let separator = input.firstIndex(of: 0)
    let documentBytes = Array(input[..<(separator ?? input.endIndex)])
    guard let document = try? JSONValue.parse(documentBytes) else { return }
    let callValue = separator.flatMap { try? JSONValue.parse(Array(input[($0 + 1)...])) }

    let problems = CompiledPolicy.validate(document)
    let compiled = try? CompiledPolicy(document: document)
    check(problems.isEmpty == (compiled != nil), "validate found \(problems.count) problems, compile \(compiled == nil ? "failed" : "succeeded")")
    check(((try? CompiledPolicy(json: documentBytes)) != nil) == (compiled != nil), "init(json:) and init(document:) disagree")
    let reordered = jsonbOrdered(document)
    check(CompiledPolicy.validate(reordered).isEmpty == problems.isEmpty, "key order changed validity")
    guard let policy = compiled, let reorderedPolicy = try? CompiledPolicy(document: reordered) else { return }
    check(policy.document == document, "the compiled policy does not keep its document")

    for call in calls(for: document, given: callValue) {
        let decision = policy.decide(call, now: now)
        check(summary(policy.decide(call, now: now)) == summary(decision), "deciding twice differed for \(call.tool)")
        check(summary(reorderedPolicy.decide(call, now: now)) == summary(decision),
              "key order changed the decision for \"\(call.tool)\": \(summary(decision)) vs \(summary(reorderedPolicy.decide(call, now: now)))")
        let hidden = policy.isHidden(tool: call.tool, riskClass: call.riskClass)
        let listed = policy.isListed(tool: call.tool, riskClass: call.riskClass, definitionApproved: call.definitionApproved)
        check((decision == .hidden) == hidden, "\"\(call.tool)\" hidden=\(hidden) but decided \(summary(decision))")
        if !listed && !hidden {
            check(decision.rule == PolicyDenial.Marker.pin, "\"\(call.tool)\" left out of the list but decided \(summary(decision))")
        }
        if let rule = decision.rule, rule.hasPrefix("/") {
            check(resolve(pointer: rule, in: document) != nil, "rule \(rule) is not a place in the document")
        }
    }
}

/// The given call, then one call per tool name the document mentions (with the given arguments),
/// so a mutated document is exercised even without a call of its own.
func calls(for document: JSONValue, given: JSONValue?) -> [PolicyCall] {
    let arguments = given?["arguments"] ?? .null
    let identity = given?["identity"]
    func call(_ tool: String) -> PolicyCall {
        PolicyCall(
            tool: tool, arguments: arguments,
            identityLabel: identity?["label"]?.stringValue ?? "agent",
            identityMetadata: identity?["metadata"] ?? .null,
            sessionID: given?["session"]?.stringValue,
            riskClass: given?["risk"]?.stringValue.flatMap(RiskClass.init(rawValue:)),
            definitionApproved: given?["approved"]?.boolValue ?? true,
            owner: owner)
    }
    var names = given?["tool"]?.stringValue.map { [$0] } ?? []
    names += document["tools"]?.objectValue?.keys.prefix(8).map { $0.replacingStars() } ?? []
    names += document["hide"]?.arrayValue?.prefix(4).compactMap { $0.stringValue?.replacingStars() } ?? []
    return (names.isEmpty ? ["tool"] : names).map(call)
}

extension String {
    /// A name a glob matches: each `*` stands for one letter.
    func replacingStars() -> String { String(map { $0 == "*" ? "x" : $0 }) }
}

/// The value an RFC 6901 pointer names, or nil. Byte by byte: the pointer's `/` and `~` are code
/// points, and a combining mark after one must not hide it inside a Character.
func resolve(pointer: String, in document: JSONValue) -> JSONValue? {
    var value = document
    for token in Array(pointer.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
        var bytes: [UInt8] = []
        var index = token.startIndex
        while index < token.endIndex {
            if token[index] == UInt8(ascii: "~"), index + 1 < token.endIndex, token[index + 1] == UInt8(ascii: "1") || token[index + 1] == UInt8(ascii: "0") {
                bytes.append(token[index + 1] == UInt8(ascii: "1") ? UInt8(ascii: "/") : UInt8(ascii: "~"))
                index += 2
            } else {
                bytes.append(token[index])
                index += 1
            }
        }
        let key = String(decoding: bytes, as: UTF8.self)
        switch value {
        case .object(let object):
            guard let member = object[key] else { return nil }
            value = member
        case .array(let elements):
            guard let index = Int(key), elements.indices.contains(index) else { return nil }
            value = elements[index]
        case .null, .bool, .number, .string:
            return nil
        }
    }
    return value
}

/// Objects with their members in jsonb's storage order: shorter keys first, then by bytes.
func jsonbOrdered(_ value: JSONValue) -> JSONValue {
    switch value {
    case .object(let object):
        let members = object.members.sorted {
            $0.key.utf8.count != $1.key.utf8.count
                ? $0.key.utf8.count < $1.key.utf8.count
                : $0.key.utf8.lexicographicallyPrecedes($1.key.utf8)
        }
        return .object(JSONObject(members.map { ($0.key, jsonbOrdered($0.value)) }))
    case .array(let elements): return .array(elements.map(jsonbOrdered))
    case .null, .bool, .number, .string: return value
    }
}

/// A decision as comparable text: counter reservations point at their compiled limit, which two
/// compilations do not share, so they are compared by what they reserve.
func summary(_ decision: PolicyDecision) -> String {
    func counters(_ reservations: [CounterReservation]) -> String {
        reservations.map { "\($0.rule) \($0.storageKey) \($0.amount) \($0.max)" }.joined(separator: "; ")
    }
    switch decision {
    case .allow(let reservations): return "allow [\(counters(reservations))]"
    case .needsApproval(let requirement, let reservations): return "approval \(requirement) [\(counters(reservations))]"
    case .deny(let denial): return "deny \(denial.code.rawValue) \(denial.rule) \(denial.message)"
    case .hidden: return "hidden"
    }
}

// Last: top-level globals above are initialized in order, and the driver never returns.
runFuzzer { data, size in
    checkPolicyProperties(fuzzInput(data, size))
    return 0
}
