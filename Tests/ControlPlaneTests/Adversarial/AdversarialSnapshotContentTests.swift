import Foundation
import Shared
import TestSupport
import Testing

@testable import ControlPlane
import JSON

/// Issue 10 item 14: `validate_arguments` needs the catalog's inputSchema on the worker, and one
/// tenant's upstream must not bloat every worker's snapshot with a huge one.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialSnapshotContentTests {
    @Test func catalogInputSchemaReachesTheSnapshotWithinItsBound() async throws {
        try await withTestDatabase { db, _ in
            let account = try await SnapshotPublishingTests.makeAccount(db)
            let huge = "{\"description\": \"" + String(repeating: "x", count: SnapshotTool.maximumInputSchemaBytes) + "\"}"
            try await db.transaction { tx in
                let server: UUID = try await tx.query("""
                    INSERT INTO servers (account_id, name, url) VALUES (\(account), 'runpod', 'https://mcp.example/mcp') RETURNING id
                    """).first!.decode("id")
                for (name, schema) in [("create-pod", #"{"type": "object", "required": ["imageName"]}"#), ("huge", huge)] {
                    try await tx.execute("""
                        INSERT INTO tools (account_id, server_id, name, input_schema, definition, definition_hash, risk_class,
                                           risk_severity, risk_rationale, risk_source)
                        VALUES (\(account), \(server), \(name), \(schema)::jsonb, '{}', 'h', 'write', 'medium', 'test', 'test')
                        """)
                }
            }
            let tools = try await SnapshotReader(database: db).full().entities.tools
            let createPod = try #require(tools.first { $0.name == "create-pod" })
            let schema = try JSONValue.parse(Array(try #require(createPod.inputSchema).utf8))
            #expect(schema == ["type": "object", "required": ["imageName"]])
            #expect(try #require(tools.first { $0.name == "huge" }).inputSchema == nil)
        }
    }
}
