import Foundation
import JSON
import PolicyEngine
import Shared

/// The catalog's inputSchemas, read once per snapshot for `validate_arguments` (issue 10 item 14).
/// A tool whose definition hash is unchanged keeps the schema the previous snapshot read, so a
/// delta does not re-read the whole catalog. A schema that is absent, too large (the control plane
/// leaves it out) or not valid JSON is absent here, and a validating policy denies the call.
struct ArgumentSchemaIndex: Sendable {
    private struct Entry: Sendable {
        let definitionHash: String
        let schema: ArgumentSchema
    }

    private let entries: [EnforcementSnapshot.ToolKey: Entry]

    init(_ tools: [SnapshotTool], reusing previous: ArgumentSchemaIndex?) {
        var entries: [EnforcementSnapshot.ToolKey: Entry] = [:]
        for tool in tools {
            let key = EnforcementSnapshot.ToolKey(serverID: tool.serverID, name: tool.name)
            if let known = previous?.entries[key], known.definitionHash == tool.definitionHash {
                entries[key] = known
            } else if let text = tool.inputSchema, text.utf8.count <= SnapshotTool.maximumInputSchemaBytes,
                      let schema = try? JSONValue.parse(Array(text.utf8)) {
                entries[key] = Entry(definitionHash: tool.definitionHash, schema: ArgumentSchema(schema))
            }
        }
        self.entries = entries
    }

    subscript(key: EnforcementSnapshot.ToolKey) -> ArgumentSchema? {
        entries[key]?.schema
    }
}
