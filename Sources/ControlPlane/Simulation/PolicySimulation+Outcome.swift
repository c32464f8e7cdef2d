import Foundation
import JSON
import PolicyEngine
import Shared

/// What a simulated call would get: the engine's decision, then the counter check a worker makes
/// before forwarding (the first exhausted counter turns an allow into `rate_limited`).
struct SimulationOutcome: Sendable {
    let decision: PolicyDecision
    /// Set by the engine, or by an exhausted counter.
    var denial: PolicyDenial?
    /// Each planned reservation with the counter's value in its current window.
    var counters: [(reservation: CounterReservation, current: Double)] = []

    init(decision: PolicyDecision) {
        self.decision = decision
        if case .deny(let denial) = decision { self.denial = denial }
    }

    var reservations: [CounterReservation] {
        switch decision {
        case .allow(let counters), .needsApproval(_, let counters): counters
        case .deny, .hidden: []
        }
    }

    func json(policy: Policy, catalog: SimulationCatalogEntry, tool: String) -> JSONValue {
        var verdict: String
        var code: String?
        var rule = decision.rule
        var message: String?
        var approval: JSONValue = .null
        switch decision {
        case .allow: verdict = "allow"
        case .needsApproval(let requirement, _):
            verdict = "approval_required"
            approval = [
                "rule": .string(requirement.rule), "timeout_s": .number(JSONNumber(requirement.timeoutSeconds)),
                "hold_s": .number(JSONNumber(requirement.holdSeconds)), "on_deny": .string(requirement.onDeny),
            ]
        case .deny: verdict = "deny"
        case .hidden:
            verdict = "hidden"
            // design.md §5.3: the agent gets the same error as for a tool that does not exist.
            message = "Unknown tool: \(tool)"
        }
        if let denial {
            verdict = "deny"
            code = denial.code.rawValue
            rule = denial.rule
            message = denial.message
        }
        return [
            "policy_id": .uuid(policy.id),
            "policy_version": .number(JSONNumber(policy.version)),
            "tool": .string(tool),
            "decision": .string(verdict),
            "code": .string(code),
            "rule": .string(rule),
            "message": .string(message),
            "retry_after_s": denial?.retryAfterSeconds.map { .number(JSONNumber($0)) } ?? .null,
            "approval": approval,
            "counters": .array(counters.map(Self.counterJSON)),
            "catalog": catalog.json,
            "forwarded": false,
        ]
    }

    private static func counterJSON(_ entry: (reservation: CounterReservation, current: Double)) -> JSONValue {
        let reservation = entry.reservation
        func date(_ time: PolicyTime) -> JSONValue {
            .timestamp(Date(timeIntervalSince1970: Double(time.millisecondsSince1970) / 1000))
        }
        return [
            "counter": .string(reservation.counter),
            "rule": .string(reservation.rule),
            "scope": .string(reservation.scope.rawValue),
            "scope_id": .string(reservation.scopeID),
            "window": .string(reservation.window.rawValue),
            "window_start": date(reservation.windowStart),
            "window_end": date(reservation.windowEnd),
            "max": .number(JSONNumber(reservation.max)),
            "amount": .number(JSONNumber(reservation.amount)),
            "current": .number(JSONNumber(entry.current)),
            "exhausted": .bool(entry.current + reservation.amount > reservation.max),
            "fail": .string(reservation.fail.rawValue),
        ]
    }
}
