import JSON
import Shared

/// What changed between the approved and the current definition of a tool (design.md §5.7: "the API
/// shows the diff between approved and current"), field by field over the hashed fields, so an
/// admin reviewing a rug pull sees exactly the new description or schema before approving it.
struct ToolDefinitionDiff: Sendable {
    struct Change: Sendable {
        let field: String
        /// nil when the field was absent on that side.
        let before: JSONValue?
        let after: JSONValue?
    }

    let changes: [Change]

    init(approved: JSONValue, current: JSONValue) {
        changes = ToolDefinitionHash.hashedFields.compactMap { field in
            let before = approved[field], after = current[field]
            return before == after ? nil : Change(field: field, before: before, after: after)
        }
    }

    /// `[{"field", "before", "after"}]`; an absent side is `null`.
    var json: JSONValue {
        .array(changes.map { ["field": .string($0.field), "before": $0.before ?? .null, "after": $0.after ?? .null] })
    }
}
