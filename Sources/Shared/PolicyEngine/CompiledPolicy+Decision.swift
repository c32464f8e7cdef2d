import JSON

extension CompiledPolicy {
    /// Decides one `tools/call` in the order of design.md §4; the first denial wins.
    ///
    /// Pure: no I/O and no clock but `now`, which only places the counters' windows.
    public func decide(_ call: PolicyCall, now: PolicyTime) -> PolicyDecision {
        // Step 2: a hidden tool must be indistinguishable from a missing one, so nothing else is checked.
        if isHidden(tool: call.tool, riskClass: call.riskClass) { return .hidden }

        // Step 3: pinning.
        if !call.definitionApproved && pin == .block {
            return .deny(PolicyDenial(code: .pinBlocked, rule: PolicyDenial.Marker.pin, message: PolicyMessages.pinBlocked(tool: call.tool)))
        }

        // Step 4: an entry allows the tool; without one, `risk` decides by class, else `default`.
        let entry = rules(for: call.tool)
        var approvalByRisk = false
        if entry == nil {
            switch riskAction(for: call.riskClass) {
            case .allow: break
            case .approve: approvalByRisk = true
            case .deny:
                return .deny(PolicyDenial(code: .riskDenied, rule: PolicyDenial.Marker.risk,
                                          message: PolicyMessages.riskDenied(tool: call.tool, riskClass: call.riskClass!)))
            case .hide, nil:
                // `.hide` was answered in step 2; an unlisted class falls through to `default`.
                if defaultDecision == .deny {
                    return .deny(PolicyDenial(code: .defaultDeny, rule: PolicyDenial.Marker.defaultDeny,
                                              message: PolicyMessages.defaultDeny(tool: call.tool)))
                }
            }
        }

        // Step 5 (ext): the arguments against the catalog's inputSchema, before any rule reads them.
        if validatesArguments, let denial = Self.argumentDenial(call) { return .deny(denial) }

        // Step 5: all_tools.require, all_tools.deny_if, then the tool's require, deny_if.
        let strict = conditionsMode == .strict
        if let denial = Self.firstDenial(allTools.require, call, strict) ?? Self.firstDenial(allTools.denyIf, call, strict)
            ?? Self.firstDenial(entry?.require ?? [], call, strict) ?? Self.firstDenial(entry?.denyIf ?? [], call, strict) {
            return .deny(denial)
        }

        // Step 7 is planned before step 6 is answered, because an approved call is still counted;
        // a bad `increment_from` argument is refused now rather than after a human said yes.
        var counters: [CounterReservation] = []
        if let denial = Self.plan(allTools.limits, for: call, now: now, into: &counters) { return .deny(denial) }
        if let entry, let denial = Self.plan(entry.limits, for: call, now: now, into: &counters) { return .deny(denial) }

        // Step 6: approval.
        if let approval = entry?.approval {
            if strict, let denial = approval.strictTypeDenial(for: call) { return .deny(denial) }
            if approval.applies(to: call) { return .needsApproval(approval.requirement, counters: counters) }
        }
        if approvalByRisk {
            return .needsApproval(ApprovalRequirement(rule: PolicyDenial.Marker.risk), counters: counters)
        }
        return .allow(counters: counters)
    }

    private static func firstDenial(_ rules: [PolicyRule], _ call: PolicyCall, _ strict: Bool) -> PolicyDenial? {
        for rule in rules { if let denial = rule.denial(for: call, strict: strict) { return denial } }
        return nil
    }

    /// Fails closed: a tool without a known schema is denied, since the policy asked for validation.
    /// A call without arguments is checked as `{}` (MCP makes `arguments` optional).
    private static func argumentDenial(_ call: PolicyCall) -> PolicyDenial? {
        guard let schema = call.inputSchema else {
            return PolicyDenial(code: .requireFailed, rule: "/validate_arguments", message: PolicyMessages.noInputSchema(tool: call.tool))
        }
        let arguments = call.arguments.isNull ? .object(JSONObject()) : call.arguments
        guard let problem = schema.violation(of: arguments, at: "args") else { return nil }
        return PolicyDenial(code: .requireFailed, rule: "/validate_arguments",
                            message: PolicyMessages.invalidArguments(tool: call.tool, problem: problem))
    }

    private static func plan(_ limits: [PolicyLimit], for call: PolicyCall, now: PolicyTime,
                             into counters: inout [CounterReservation]) -> PolicyDenial? {
        for limit in limits {
            switch limit.reservation(for: call, now: now) {
            case .success(let reservation): counters.append(reservation)
            case .failure(let denial): return denial
            }
        }
        return nil
    }
}

extension CompiledPolicy {
    /// The entry point for the gateway and the simulate endpoint: a grant may have no policy at all.
    public static func decide(policy: CompiledPolicy?, call: PolicyCall, now: PolicyTime) -> PolicyDecision {
        guard let policy else {
            // Step 1: a grant with no policy denies every call (design.md §2).
            return .deny(PolicyDenial(code: .noPolicy, rule: PolicyDenial.Marker.noPolicy, message: PolicyMessages.noPolicy(tool: call.tool)))
        }
        return policy.decide(call, now: now)
    }
}
