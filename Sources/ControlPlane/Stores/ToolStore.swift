import Foundation
import JSON
import Shared

/// The `tools` table (the catalog) of one account. Writes that change what a worker's snapshot
/// holds (definition hash, approval, risk class, removal) are recorded in the config change log.
struct ToolStore {
    let tx: TenantTransaction

    /// Every tool ever seen on the server, removed ones included, oldest first.
    func list(server: UUID, page: PageRequest) async throws -> Page<CatalogTool> {
        let keyset = Keyset(time: "first_seen", id: "id", .oldestFirst)
        let rows = try await tx.query("""
            SELECT \(unsafeSQL: CatalogTool.columns) FROM tools
            WHERE account_id = \(tx.account) AND server_id = \(server)
              AND \(keyset.after(page.after))
            ORDER BY \(keyset.ordering)
            LIMIT \(page.fetchLimit)
            """)
        return Page(rows: try rows.map(CatalogTool.init(row:)), request: page)
    }

    func all(server: UUID) async throws -> [CatalogTool] {
        try await tx.query("""
            SELECT \(unsafeSQL: CatalogTool.columns) FROM tools
            WHERE account_id = \(tx.account) AND server_id = \(server) ORDER BY name
            """).map(CatalogTool.init(row:))
    }

    func find(server: UUID, name: String) async throws -> CatalogTool {
        let rows = try await tx.query("""
            SELECT \(unsafeSQL: CatalogTool.columns) FROM tools
            WHERE account_id = \(tx.account) AND server_id = \(server) AND name = \(name)
            """)
        guard let row = rows.first else { throw ProblemError.notFound("Tool") }
        return try CatalogTool(row: row)
    }

    /// Sets or clears the admin's risk class.
    func setOverride(_ tool: CatalogTool, _ override: RiskOverride?) async throws -> CatalogTool {
        try await changed("""
            UPDATE tools SET risk_override_class = \(override?.riskClass.rawValue), risk_override_severity = \(override?.severity.rawValue)
            WHERE account_id = \(tx.account) AND id = \(tool.id)
            RETURNING \(unsafeSQL: CatalogTool.columns)
            """)
    }

    /// Approves the tool's definition if its hash is still `hash`, the one the approver saw
    /// (compare-and-set, issue 10 item 23): a discovery that changed the definition in between
    /// makes this nil instead of approving what nobody looked at. `by` nil means approved
    /// automatically.
    func approveDefinition(_ tool: CatalogTool, hash: String, by member: UUID?) async throws -> CatalogTool? {
        let rows = try await tx.query("""
            UPDATE tools SET approved_hash = definition_hash, approved_definition = definition,
                approved_at = now(), approved_by = \(member)
            WHERE account_id = \(tx.account) AND id = \(tool.id) AND definition_hash = \(hash)
            RETURNING \(unsafeSQL: CatalogTool.columns)
            """)
        guard let row = rows.first else { return nil }
        let approved = try CatalogTool(row: row)
        try await ConfigChangeLog.record(tx.session, account: tx.account, kind: .tool, id: approved.id, .upsert)
        return approved
    }

    /// A tool discovery saw for the first time.
    func insert(server: UUID, _ entry: CatalogEntry) async throws -> CatalogTool {
        try await changed("""
            INSERT INTO tools (account_id, server_id, name, title, description, input_schema, output_schema, annotations,
                               definition, definition_hash, risk_class, risk_severity, risk_rationale, risk_source, findings)
            VALUES (\(tx.account), \(server), \(entry.name), \(entry.title), \(entry.description), \(entry.inputSchema),
                    \(entry.outputSchema), \(entry.annotations), \(entry.definition), \(entry.hash),
                    \(entry.risk.riskClass.rawValue), \(entry.risk.severity.rawValue), \(entry.risk.rationale),
                    \(entry.risk.source.rawValue), \(entry.findingsJSON))
            RETURNING \(unsafeSQL: CatalogTool.columns)
            """)
    }

    /// A known tool listed again: its definition (changed or not), findings and classification are
    /// refreshed, and it is no longer removed. `approved_hash` is left alone, so a changed
    /// definition is unapproved until an admin approves it (design.md §5.7). Logged only when a worker's
    /// snapshot changes: a new hash, a new class, or a tool that had been removed.
    func refresh(_ tool: CatalogTool, _ entry: CatalogEntry) async throws {
        try await tx.execute("""
            UPDATE tools SET title = \(entry.title), description = \(entry.description), input_schema = \(entry.inputSchema),
                output_schema = \(entry.outputSchema), annotations = \(entry.annotations), definition = \(entry.definition),
                definition_hash = \(entry.hash), risk_class = \(entry.risk.riskClass.rawValue),
                risk_severity = \(entry.risk.severity.rawValue), risk_rationale = \(entry.risk.rationale),
                risk_source = \(entry.risk.source.rawValue), findings = \(entry.findingsJSON), last_seen = now(), removed_at = NULL
            WHERE account_id = \(tx.account) AND id = \(tool.id)
            """)
        if tool.definitionHash != entry.hash || tool.classified.riskClass != entry.risk.riskClass || tool.removedAt != nil {
            try await ConfigChangeLog.record(tx.session, account: tx.account, kind: .tool, id: tool.id, .upsert)
        }
    }

    /// Tools the server no longer lists keep their row (and approval) with `removed_at` set; the
    /// snapshot leaves them out.
    func markRemoved(_ tool: CatalogTool) async throws {
        try await tx.execute("UPDATE tools SET removed_at = now() WHERE account_id = \(tx.account) AND id = \(tool.id)")
        try await ConfigChangeLog.record(tx.session, account: tx.account, kind: .tool, id: tool.id, .upsert)
    }

    /// Runs a statement returning one tool row and logs that tool as changed.
    private func changed(_ statement: SQLQuery) async throws -> CatalogTool {
        let rows = try await tx.query(statement)
        guard let row = rows.first else { throw ProblemError.notFound("Tool") }
        let tool = try CatalogTool(row: row)
        try await ConfigChangeLog.record(tx.session, account: tx.account, kind: .tool, id: tool.id, .upsert)
        return tool
    }
}

/// One discovered tool, classified and scanned, in the columns the catalog stores.
struct CatalogEntry: Sendable {
    let name: String
    let definition: JSONValue
    let hash: String
    let risk: RiskAssessment
    let findings: [PoisoningFinding]

    /// Every tool of one `tools/list`, classified and scanned against the others' names.
    static func scan(_ tools: [DiscoveredTool]) -> [CatalogEntry] {
        let names = tools.map(\.name)
        return tools.map { CatalogEntry($0, otherToolNames: names) }
    }

    init(_ tool: DiscoveredTool, otherToolNames: [String]) {
        name = tool.name
        definition = tool.definition
        hash = tool.definitionHash.hex
        risk = RiskClassifier.classify(tool.definition)
        findings = PoisoningScanner.scan(tool.definition, otherToolNames: otherToolNames)
    }

    var title: String? { definition["title"]?.stringValue }
    var description: String? { definition["description"]?.stringValue }
    var inputSchema: JSONValue? { definition["inputSchema"] }
    var outputSchema: JSONValue? { definition["outputSchema"] }
    var annotations: JSONValue? { definition["annotations"] }
    var findingsJSON: JSONValue { .array(findings.map(\.json)) }
}
