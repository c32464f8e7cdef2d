import JSON
import PolicyEngine

/// The starting policy `GET /v1/servers/{id}/recommended-policy` returns (design.md §5.8): each tool's
/// rule follows from its risk class, and everything not listed is denied.
public enum RecommendedPolicy {
    public static let writeRatePerMinute = 30
    public static let executeRatePerMinute = 10

    /// Tools are listed by name so the document is the same whatever order discovery saw them in.
    /// For RunPod's `stop-pod` (execute) this is exactly the seed's rule.
    public static func document(for tools: [(name: String, riskClass: RiskClass)]) -> JSONValue {
        var entries = JSONObject()
        var hidden: [JSONValue] = []
        for tool in tools.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            switch tool.riskClass {
            case .read: entries[tool.name] = [:]
            case .write: entries[tool.name] = rateLimit(tool.name, max: writeRatePerMinute)
            case .execute: entries[tool.name] = rateLimit(tool.name, max: executeRatePerMinute)
            case .destructive: hidden.append(.string(tool.name))
            case .financial: entries[tool.name] = ["approval": [:]]
            }
        }
        var document: JSONObject = JSONObject([("version", "1"), ("default", "deny")])
        if !hidden.isEmpty { document["hide"] = .array(hidden) }
        document["tools"] = .object(entries)
        return .object(document)
    }

    /// Key order as in the seed: counter, window, max, scope.
    private static func rateLimit(_ tool: String, max: Int) -> JSONValue {
        ["limits": [["counter": .string(tool + "_rate"), "window": "minute", "max": .number(JSONNumber(max)), "scope": "grant"]]]
    }
}
