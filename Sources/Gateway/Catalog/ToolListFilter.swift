import Foundation
import JSON
import PolicyEngine
import Shared

/// Rewrites a `tools/list` result for one grant (design.md §5.2, §5.7): tools its policy hides and,
/// under `pin: block`, tools whose live definition is not the approved one are removed; the rest
/// carry `_meta["portcullis/risk"]`. Every definition seen is compared with the catalog, and a
/// difference is reported to the control plane as drift.
struct ToolListFilter: Sendable {
    let snapshot: EnforcementSnapshot
    let grant: AuthenticatedGrant
    let liveDefinitions: LiveToolDefinitions
    let reportDrift: @Sendable (_ serverID: UUID, _ tool: String, _ observedHash: String) -> Void

    func filter(_ result: JSONValue) -> JSONValue {
        guard var object = result.objectValue else { return result }
        guard let tools = object["tools"]?.arrayValue else {
            // Not a list a client could read: nothing of it passes (issue 10 item 7).
            object["tools"] = .array([])
            liveDefinitions.listing(of: grant.server.id, wasReadable: false)
            return .object(object)
        }
        liveDefinitions.listing(of: grant.server.id, wasReadable: true)
        var kept: [JSONValue] = []
        kept.reserveCapacity(tools.count)
        for tool in tools {
            guard let name = tool["name"]?.stringValue, var definition = tool.objectValue else { continue }
            let key = EnforcementSnapshot.ToolKey(serverID: grant.server.id, name: name)
            let catalog = snapshot.toolsByKey[key]
            let hash = ToolDefinitionHash(definition: tool).hex
            liveDefinitions.record(hash, for: key)
            if let catalog, catalog.definitionHash != hash {
                reportDrift(grant.server.id, name, hash)
            }
            let riskClass = catalog.flatMap { RiskClass(rawValue: $0.riskClass) }
            let approved = catalog?.approvedHash == hash
            if let policy = grant.policy?.compiled,
               !policy.isListed(tool: name, riskClass: riskClass, definitionApproved: approved) {
                continue
            }
            if let catalog {
                var meta = definition["_meta"]?.objectValue ?? JSONObject()
                meta["portcullis/risk"] = ["class": .string(catalog.riskClass), "severity": .string(catalog.riskSeverity)]
                definition["_meta"] = .object(meta)
            }
            kept.append(.object(definition))
        }
        object["tools"] = .array(kept)
        return .object(object)
    }
}
