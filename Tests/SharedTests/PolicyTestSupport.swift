@testable import Shared
import JSON
import PolicyEngine

/// Shorthands shared by the policy tests.
enum Fixture {
    static let owner = CounterOwner(accountID: "acc_1", grantID: "grt_1", identityID: "idn_1", serverID: "srv_1")
    /// 2026-03-14T10:15:43Z: 43 s into a minute, so a minute window resets in 17 s.
    static let now = PolicyTime(secondsSince1970: 1_773_483_343)

    static func policy(_ json: String) throws(PolicyValidationError) -> CompiledPolicy {
        try CompiledPolicy(json: Array(json.utf8))
    }

    static func call(_ tool: String, _ arguments: String = "{}", label: String = "alice-laptop",
                     metadata: String = "{}", session: String? = nil, risk: RiskClass? = nil,
                     approved: Bool = true) -> PolicyCall {
        PolicyCall(tool: tool, arguments: try! JSONValue.parse(arguments), identityLabel: label,
                   identityMetadata: try! JSONValue.parse(metadata), sessionID: session, riskClass: risk,
                   definitionApproved: approved, owner: owner)
    }

    /// The seed's policy (`shared/seeds`), verbatim.
    static let seedPolicy = """
    {
      "version": "1",
      "default": "deny",
      "tools": {
        "stop-pod": {
          "limits": [
            {
              "counter": "stop-pod_rate",
              "window": "minute",
              "max": 10,
              "scope": "grant"
            }
          ]
        }
      }
    }
    """

    /// The example document of design.md §4, verbatim.
    static let specExample = """
    {
      "version": "1",
      "default": "deny",
      "hide": ["delete-pod"],
      "all_tools": { "limits": [ { "counter": "all-calls", "window": "minute", "max": 120, "scope": "grant" } ] },
      "tools": {
        "list-pods": {},
        "stop-pod": {
          "limits": [ { "counter": "stop-pod_rate", "window": "minute", "max": 10, "scope": "grant" } ]
        },
        "create-pod": {
          "require": [ { "conditions": [ { "path": "args.gpuCount", "op": "lte", "value": 2 } ],
                         "on_deny": "At most 2 GPUs per pod." } ],
          "deny_if": [ { "conditions": [ { "path": "args.imageName", "op": "regex", "value": ":latest$" } ],
                         "on_deny": "Pin an image tag." } ],
          "approval": { "when": [ { "path": "args.gpuCount", "op": "gt", "value": 1 } ], "timeout": "15m" }
        },
        "get-*": {}
      },
      "risk": { "read": "allow", "destructive": "hide" },
      "pin": "block",
      "audit": { "arguments": "keys" }
    }
    """
}

extension PolicyDecision {
    var denial: PolicyDenial? {
        if case .deny(let denial) = self { return denial }
        return nil
    }

    var counters: [CounterReservation]? {
        switch self {
        case .allow(let counters), .needsApproval(_, let counters): counters
        default: nil
        }
    }

    var isAllow: Bool {
        if case .allow = self { return true }
        return false
    }
}
