import Foundation
import JSON
import PolicyEngine
import Shared

/// A tool of a server's catalog (design.md §2, §5.7, 5.8) as `GET /v1/servers/{id}/tools` shows it.
struct CatalogTool: Pageable {
    let id: UUID
    let serverID: UUID
    let name: String
    let title: String?
    let description: String?
    /// The hashed fields of the current definition.
    let definition: JSONValue
    let definitionHash: String
    let approvedHash: String?
    /// The definition as it was approved; kept so a changed tool can be shown as a diff.
    let approvedDefinition: JSONValue?
    let classified: RiskAssessment
    let override: RiskOverride?
    let findings: JSONValue
    let firstSeen: Date
    let lastSeen: Date
    let removedAt: Date?

    static let columns = """
        id, server_id, name, title, description, definition, definition_hash, approved_hash, approved_definition,
        risk_class, risk_rationale, risk_source, risk_override_class, risk_override_severity,
        findings, first_seen, last_seen, removed_at
        """

    init(row: Row) throws {
        id = try row.decode("id")
        serverID = try row.decode("server_id")
        name = try row.decode("name")
        title = try row.decode("title")
        description = try row.decode("description")
        definition = try row.decode("definition", as: JSONValue.self)
        definitionHash = try row.decode("definition_hash")
        approvedHash = try row.decode("approved_hash")
        approvedDefinition = try row.decode("approved_definition", as: JSONValue?.self)
        classified = try RiskAssessment(
            storedClass: row.decode("risk_class"), rationale: row.decode("risk_rationale"), source: row.decode("risk_source"))
        override = try RiskOverride(storedClass: row.decode("risk_override_class"), severity: row.decode("risk_override_severity"))
        findings = try row.decode("findings", as: JSONValue.self)
        firstSeen = try row.decode("first_seen")
        lastSeen = try row.decode("last_seen")
        removedAt = try row.decode("removed_at")
    }

    var isApproved: Bool { approvedHash == definitionHash }

    /// The admin's override wins over the classifier (design.md §5.8).
    var riskClass: RiskClass { override?.riskClass ?? classified.riskClass }

    var pageCursor: PageCursor { PageCursor(time: firstSeen, id: id) }

    var json: JSONValue {
        let risk: JSONValue = if let override {
            ["class": .string(override.riskClass.rawValue), "severity": .string(override.severity.rawValue),
             "rationale": "Set by an administrator.", "source": .string(RiskAssessment.Source.override.rawValue)]
        } else {
            ["class": .string(classified.riskClass.rawValue), "severity": .string(classified.severity.rawValue),
             "rationale": .string(classified.rationale), "source": .string(classified.source.rawValue)]
        }
        let diff = isApproved ? nil : approvedDefinition.map { ToolDefinitionDiff(approved: $0, current: definition) }
        return [
            "name": .string(name), "title": .string(title), "description": .string(description), "risk": risk,
            "definition_hash": .string(definitionHash), "approved_hash": .string(approvedHash), "approved": .bool(isApproved),
            "findings": findings, "first_seen": .timestamp(firstSeen), "last_seen": .timestamp(lastSeen),
            "removed_at": .timestamp(removedAt), "definition": definition, "diff": diff?.json ?? .null,
        ]
    }
}

/// An admin's risk class for a tool; severity defaults to the class's (design.md §5.8).
struct RiskOverride: Sendable, Equatable {
    let riskClass: RiskClass
    let severity: RiskSeverity

    init(riskClass: RiskClass, severity: RiskSeverity? = nil) {
        self.riskClass = riskClass
        self.severity = severity ?? riskClass.defaultSeverity
    }

    init?(storedClass: String?, severity: String?) throws {
        guard let storedClass else { return nil }
        guard let riskClass = RiskClass(rawValue: storedClass) else { throw CatalogRowError(column: "risk_override_class") }
        self.init(riskClass: riskClass, severity: severity.flatMap(RiskSeverity.init(rawValue:)))
    }
}

extension RiskAssessment {
    /// The classifier's answer as stored with the tool.
    init(storedClass: String, rationale: String, source: String) throws {
        // The stored severity is always the class's default: only overrides choose another.
        guard let riskClass = RiskClass(rawValue: storedClass), let source = Source(rawValue: source)
        else { throw CatalogRowError(column: "risk_class") }
        self.init(riskClass: riskClass, rationale: rationale, source: source)
    }
}

/// A catalog row holding a value this code never writes.
struct CatalogRowError: Error, CustomStringConvertible {
    let column: String
    var description: String { "tools.\(column) holds an unknown value" }
}
