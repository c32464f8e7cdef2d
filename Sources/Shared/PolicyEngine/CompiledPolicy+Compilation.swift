import JSON

extension CompiledPolicy {
    static let documentFields = ["version", "default", "hide", "all_tools", "tools", "risk", "pin", "audit", "conditions_mode", "validate_arguments"]

    /// Validates and compiles a document; throws with every problem found.
    public init(document: JSONValue) throws(PolicyValidationError) {
        var reader = PolicyDocumentReader()
        let compiled = reader.compile(document)
        guard let compiled, reader.problems.isEmpty else { throw PolicyValidationError(problems: reader.problems) }
        self = compiled
    }

    /// Parses (strictly, design.md §5.9) then compiles; a JSON error becomes a single problem.
    public init(json: [UInt8]) throws(PolicyValidationError) {
        let document: JSONValue
        do {
            document = try JSONValue.parse(json)
        } catch {
            throw PolicyValidationError(problems: [PolicyProblem(pointer: error.pointer, message: "invalid JSON: \(error.message) at byte \(error.offset)")])
        }
        try self.init(document: document)
    }

    /// Every problem in the document; empty when it is valid.
    public static func validate(_ document: JSONValue) -> [PolicyProblem] {
        var reader = PolicyDocumentReader()
        _ = reader.compile(document)
        return reader.problems
    }
}

extension PolicyDocumentReader {
    mutating func compile(_ document: JSONValue) -> CompiledPolicy? {
        guard let root = object(document, at: "", fields: CompiledPolicy.documentFields, required: ["version", "default"]) else {
            return nil
        }
        if let version = root["version"], version != "1" { report("/version", "must be \"1\"") }
        let defaultDecision = root["default"].flatMap { choice($0, at: "/default", CompiledPolicy.DefaultDecision.self) }
        let pin = root["pin"].map { choice($0, at: "/pin", CompiledPolicy.PinMode.self) } ?? .block
        let conditionsMode = root["conditions_mode"].map { choice($0, at: "/conditions_mode", ConditionsMode.self) } ?? .lenient
        let validatesArguments = root["validate_arguments"].map { boolean($0, at: "/validate_arguments") } ?? false

        let hidden = root["hide"].map { elements($0, at: "/hide") { $0.string($1, at: $2, nonEmpty: true) } } ?? []
        let allTools = root["all_tools"].flatMap { toolRules($0, at: "/all_tools", allowsApproval: false) }
            ?? CompiledPolicy.ToolRules(pointer: "/all_tools", require: [], denyIf: [], limits: [], approval: nil)

        var exact: [CodePointText: CompiledPolicy.ToolRules] = [:]
        var globs: [(glob: ToolNameGlob, rules: CompiledPolicy.ToolRules)] = []
        if let toolsValue = root["tools"], let tools = toolsValue.objectValue ?? reportNotObject("/tools") {
            for (name, value) in tools.members {
                let pointer = JSONPointer.appending("/tools", name)
                if name.isEmpty { report(pointer, "tool name must not be empty") }
                guard let rules = toolRules(value, at: pointer, allowsApproval: true) else { continue }
                if ToolNameGlob.isGlob(name) { globs.append((ToolNameGlob(name), rules)) } else { exact[CodePointText(name)] = rules }
            }
        }
        // A total order, never document order: the control plane stores documents as jsonb, which
        // reorders keys, so "written first" would change between saving and compiling (issue 10 item 13).
        let orderedGlobs = globs.sorted { $0.glob.precedes($1.glob) }

        let riskActions = root["risk"].map { self.riskActions($0) } ?? Array(repeating: nil, count: RiskClass.allCases.count)
        var auditArguments: CompiledPolicy.AuditArguments? = .keys
        var auditResults: Bool? = false
        if let audit = root["audit"], let object = object(audit, at: "/audit", fields: ["arguments", "results"]) {
            auditArguments = object["arguments"].map { choice($0, at: "/audit/arguments", CompiledPolicy.AuditArguments.self) } ?? .keys
            auditResults = object["results"].map { boolean($0, at: "/audit/results") } ?? false
        }
        checkSharedCounters(allTools: allTools, tools: Array(exact.values) + orderedGlobs.map(\.rules))

        guard problems.isEmpty, let defaultDecision, let pin, let auditArguments, let auditResults, let conditionsMode,
              let validatesArguments
        else { return nil }
        return CompiledPolicy(
            defaultDecision: defaultDecision, pin: pin, auditArguments: auditArguments, auditResults: auditResults,
            conditionsMode: conditionsMode, validatesArguments: validatesArguments,
            document: document, allTools: allTools, exactTools: exact, globTools: ToolGlobIndex(orderedGlobs.map { ($0.glob, $0.rules) }),
            hiddenNames: Set(hidden.filter { !ToolNameGlob.isGlob($0) }.map(CodePointText.init)),
            hiddenGlobs: ToolGlobIndex(hidden.filter(ToolNameGlob.isGlob).map { (ToolNameGlob($0), true) }),
            riskActions: riskActions)
    }

    private mutating func reportNotObject(_ pointer: String) -> JSONObject? {
        report(pointer, "must be an object")
        return nil
    }

    private mutating func toolRules(_ value: JSONValue, at pointer: String, allowsApproval: Bool) -> CompiledPolicy.ToolRules? {
        let fields = allowsApproval ? ["require", "deny_if", "limits", "approval"] : ["require", "deny_if", "limits"]
        guard let object = object(value, at: pointer, fields: fields) else { return nil }
        let require = object["require"].map { elements($0, at: pointer + "/require") { $0.rule($1, at: $2, kind: .require) } } ?? []
        let denyIf = object["deny_if"].map { elements($0, at: pointer + "/deny_if") { $0.rule($1, at: $2, kind: .denyIf) } } ?? []
        let limits = object["limits"].map { elements($0, at: pointer + "/limits") { $0.limit($1, at: $2) } } ?? []
        let approval = allowsApproval ? object["approval"].flatMap { self.approval($0, at: pointer + "/approval") } : nil
        return CompiledPolicy.ToolRules(pointer: pointer, require: require, denyIf: denyIf, limits: limits, approval: approval)
    }

    private mutating func riskActions(_ value: JSONValue) -> [RiskAction?] {
        var actions: [RiskAction?] = Array(repeating: nil, count: RiskClass.allCases.count)
        guard let object = object(value, at: "/risk", fields: RiskClass.allCases.map(\.rawValue)) else { return actions }
        for (index, riskClass) in RiskClass.allCases.enumerated() {
            if let action = object[riskClass.rawValue] {
                actions[index] = choice(action, at: "/risk/" + riskClass.rawValue, RiskAction.self)
            }
        }
        return actions
    }

    /// Limits naming the same counter in the same scope share one bucket (design.md §4), which only makes
    /// sense if they agree on its window; a disagreement would make the bucket's count meaningless.
    private mutating func checkSharedCounters(allTools: CompiledPolicy.ToolRules, tools: [CompiledPolicy.ToolRules]) {
        var firstUse: [String: PolicyLimit] = [:]
        let limits = (allTools.limits + tools.flatMap(\.limits)).sorted { $0.pointer < $1.pointer }
        for limit in limits {
            let key = limit.scope.rawValue + "|" + limit.counter
            if let first = firstUse[key] {
                if first.window != limit.window {
                    report(limit.pointer + "/window", "counter \"\(limit.counter)\" in scope \(limit.scope.rawValue) is also used with window \(first.window.rawValue) at \(first.pointer); shared counters need one window")
                }
            } else {
                firstUse[key] = limit
            }
        }
    }
}
