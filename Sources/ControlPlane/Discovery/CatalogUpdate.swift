import Foundation
import JSON
import Shared

/// Applies one discovery's `tools/list` to a server's catalog, by the rules of design.md §5.7:
/// - a new tool is unapproved, unless this is the server's first discovery (its registration)
///   and the poisoning scanner found nothing in it;
/// - a changed definition keeps the old `approved_hash` (and `approved_definition` for the diff),
///   so it is unapproved until an admin approves the new hash: a rug pull never slips through;
/// - a tool no longer listed gets `removed_at`; one listed again loses it;
/// - findings and the risk class are recomputed every time (another tool's new name can make a
///   description suspicious).
struct CatalogUpdate {
    struct Summary: Sendable, JSONRepresentable {
        var listed = 0
        var added = 0
        var changed = 0
        var removed = 0
        var autoApproved = 0

        var json: JSONValue {
            [
                "listed": .number(JSONNumber(listed)), "added": .number(JSONNumber(added)), "changed": .number(JSONNumber(changed)),
                "removed": .number(JSONNumber(removed)), "auto_approved": .number(JSONNumber(autoApproved)),
            ]
        }
    }

    let tools: ToolStore

    /// `entries` come from `CatalogEntry.scan`, run before the transaction: scanning a long list
    /// must not happen while this transaction holds the installation-wide change-log lock
    /// (issue 10 item 15), which the first changed tool takes.
    func apply(_ entries: [CatalogEntry], server: UUID, autoApproveClean: Bool) async throws -> Summary {
        let known = Dictionary(uniqueKeysWithValues: try await tools.all(server: server).map { ($0.name, $0) })
        var summary = Summary(listed: entries.count)
        for entry in entries {
            if let existing = known[entry.name] {
                if existing.definitionHash != entry.hash { summary.changed += 1 }
                try await tools.refresh(existing, entry)
                continue
            }
            let inserted = try await tools.insert(server: server, entry)
            summary.added += 1
            if autoApproveClean && entry.findings.isEmpty {
                _ = try await tools.approveDefinition(inserted, hash: entry.hash, by: nil)
                summary.autoApproved += 1
            }
        }
        let listed = Set(entries.map(\.name))
        for tool in known.values where tool.removedAt == nil && !listed.contains(tool.name) {
            try await tools.markRemoved(tool)
            summary.removed += 1
        }
        return summary
    }
}
