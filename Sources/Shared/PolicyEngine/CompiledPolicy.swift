import JSON

/// A validated policy document compiled for deciding calls (design.md §4).
///
/// Immutable and `Sendable`: a worker builds it once per snapshot, off the hot path, and shares it
/// between all threads. Exact tool names sit in a dictionary, so the common decision costs one hash
/// lookup however many rules there are; glob entries are consulted only when no exact name matches,
/// through an index whose cost depends on the name's length, not on the number of globs.
public struct CompiledPolicy: Sendable {
    public enum DefaultDecision: String, Sendable, CaseIterable { case allow, deny }
    public enum PinMode: String, Sendable, CaseIterable { case block, warn, off }
    public enum AuditArguments: String, Sendable, CaseIterable { case keys, redacted, full }

    /// The rules of one `tools` entry, or of `all_tools`. A class so finding an entry hands back
    /// one reference instead of copying (and retaining) each of its lists; it is never mutated.
    final class ToolRules: Sendable {
        let pointer: String
        let require: [PolicyRule]
        let denyIf: [PolicyRule]
        let limits: [PolicyLimit]
        let approval: ApprovalRule?

        init(pointer: String, require: [PolicyRule], denyIf: [PolicyRule], limits: [PolicyLimit], approval: ApprovalRule?) {
            self.pointer = pointer
            self.require = require
            self.denyIf = denyIf
            self.limits = limits
            self.approval = approval
        }
    }

    public let defaultDecision: DefaultDecision
    public let pin: PinMode
    public let auditArguments: AuditArguments
    public let auditResults: Bool
    public let conditionsMode: ConditionsMode
    /// `validate_arguments` (ext): check the call's arguments against the catalog's inputSchema
    /// before judging (issue 10 item 14).
    public let validatesArguments: Bool
    /// The document as written, for snapshots and the admin API.
    public let document: JSONValue

    let allTools: ToolRules
    /// Keyed by code points, so "é" and "e\u{301}" are two tools, as for the upstream (issue 10 item 23).
    let exactTools: [CodePointText: ToolRules]
    /// Glob entries in priority order (`ToolNameGlob.precedes`).
    let globTools: ToolGlobIndex<ToolRules>
    let hiddenNames: Set<CodePointText>
    let hiddenGlobs: ToolGlobIndex<Bool>
    /// Indexed by `RiskClass.allCases` order.
    let riskActions: [RiskAction?]

    /// The entry that governs `tool`: the exact key, else the most specific matching glob.
    func rules(for tool: String) -> ToolRules? {
        exactTools[CodePointText(tool)] ?? globTools.first(matching: tool)
    }

    public func riskAction(for riskClass: RiskClass?) -> RiskAction? {
        guard let riskClass else { return nil }
        return riskActions[RiskClass.allCases.firstIndex(of: riskClass)!]
    }

    /// Hidden by `hide`, or by `risk: hide` for a tool without an entry (design.md §4 step 2).
    public func isHidden(tool: String, riskClass: RiskClass?) -> Bool {
        if hiddenNames.contains(CodePointText(tool)) { return true }
        if hiddenGlobs.first(matching: tool) != nil { return true }
        return riskAction(for: riskClass) == .hide && rules(for: tool) == nil
    }

    /// Whether `tools/list` shows the tool (design.md §5.2): hidden tools and, under `pin: block`, tools
    /// whose definition is not approved are removed.
    public func isListed(tool: String, riskClass: RiskClass?, definitionApproved: Bool) -> Bool {
        !isHidden(tool: tool, riskClass: riskClass) && (definitionApproved || pin != .block)
    }
}
