import JSON
import PolicyEngine

/// The catalog's verdict on a tool: class, severity, and the one-line reason an admin reads.
public struct RiskAssessment: Sendable, Equatable {
    /// Which signal decided, in the order they are consulted (design.md §5.8).
    public enum Source: String, Sendable {
        case override, annotations, name, schema, description
        case fallback = "default"
    }

    public let riskClass: RiskClass
    public let severity: RiskSeverity
    public let rationale: String
    public let source: Source

    public init(riskClass: RiskClass, rationale: String, source: Source) {
        self.riskClass = riskClass
        self.severity = riskClass.defaultSeverity
        self.rationale = rationale
        self.source = source
    }
}

/// Deterministic risk classification of a tool definition (design.md §5.8): no model in the loop, so the
/// same definition always gets the same class and the rationale says exactly why.
public enum RiskClassifier {
    /// Classifies a `tools/list` entry. An admin `override` wins over every signal.
    public static func classify(_ tool: JSONValue, override: RiskClass? = nil) -> RiskAssessment {
        if let override {
            return RiskAssessment(riskClass: override, rationale: "Set by an administrator.", source: .override)
        }
        let annotations = tool["annotations"]
        if annotations?["readOnlyHint"] == true {
            return RiskAssessment(riskClass: .read, rationale: "Annotated readOnlyHint: true.", source: .annotations)
        }
        // Only an explicit hint counts: MCP defaults destructiveHint to true for any non-read-only
        // tool, which would make every write destructive.
        if annotations?["destructiveHint"] == true {
            return RiskAssessment(riskClass: .destructive, rationale: "Annotated destructiveHint: true and not read-only.", source: .annotations)
        }
        let name = tool["name"]?.stringValue ?? ""
        let nameWords = RiskVocabulary.words(in: name)
        if let word = nameWords.first(where: { RiskVocabulary.class(of: $0) == .financial }) {
            return RiskAssessment(riskClass: .financial, rationale: "The name mentions \"\(word)\", a money movement.", source: .name)
        }
        if hasAmountAndCurrency(tool["inputSchema"]) {
            return RiskAssessment(riskClass: .financial, rationale: "The input schema takes an amount and a currency.", source: .schema)
        }
        if let verb = nameWords.first, let riskClass = RiskVocabulary.class(of: verb) ?? RiskVocabulary.class(ofVerbPrefix: verb) {
            return RiskAssessment(riskClass: riskClass, rationale: "The name's verb \"\(verb)\" indicates \(riskClass.rawValue).", source: .name)
        }
        if let (word, riskClass) = RiskVocabulary.strongest(in: nameWords.dropFirst()) {
            return RiskAssessment(riskClass: riskClass, rationale: "The name contains \"\(word)\", which indicates \(riskClass.rawValue).", source: .name)
        }
        let descriptionWords = RiskVocabulary.words(in: tool["description"]?.stringValue ?? "")
        if let (word, riskClass) = RiskVocabulary.strongest(in: descriptionWords[...]) {
            return RiskAssessment(riskClass: riskClass, rationale: "The description says \"\(word)\", which indicates \(riskClass.rawValue).", source: .description)
        }
        return RiskAssessment(riskClass: .write, rationale: "no signal", source: .fallback)
    }

    /// `amount` together with `currency` among the input properties marks a payment (design.md §5.8).
    private static func hasAmountAndCurrency(_ schema: JSONValue?) -> Bool {
        guard let properties = schema?["properties"]?.objectValue else { return false }
        let keys = Set(properties.keys.map { $0.lowercased() })
        return keys.contains("amount") && keys.contains("currency")
    }
}
