import NIOConcurrencyHelpers
import Shared

/// The definition hash of each tool as this worker last saw it in a `tools/list` answer (SPEC 5.7).
/// A call is judged against the live definition when one was seen, so a tool whose definition
/// changed upstream (a rug pull) is blocked on calls as soon as it is hidden from lists.
final class LiveToolDefinitions: Sendable {
    /// Bounds memory against an upstream that invents tool names: past this, old sightings are forgotten.
    static let capacity = 100_000
    private let hashes = NIOLockedValueBox<[EnforcementSnapshot.ToolKey: String]>([:])

    func record(_ hash: String, for key: EnforcementSnapshot.ToolKey) {
        hashes.withLockedValue { hashes in
            if hashes.count >= Self.capacity, hashes[key] == nil { hashes.removeAll(keepingCapacity: true) }
            hashes[key] = hash
        }
    }

    func hash(of key: EnforcementSnapshot.ToolKey) -> String? {
        hashes.withLockedValue { $0[key] }
    }

    /// Whether calls of the tool run the approved definition: the catalog must have an approved
    /// hash, and the definition seen live (or, before any was seen, the catalog's) must match it.
    func isApproved(_ key: EnforcementSnapshot.ToolKey, catalog: SnapshotTool?) -> Bool {
        guard let catalog, let approved = catalog.approvedHash else { return false }
        return (hash(of: key) ?? catalog.definitionHash) == approved
    }
}
