import Foundation
import NIOConcurrencyHelpers
import Shared

/// The definition hash of each tool as this worker last saw it in a `tools/list` answer (design.md §5.7).
/// A call is judged against the live definition when one was seen, so a tool whose definition
/// changed upstream (a rug pull) is blocked on calls as soon as it is hidden from lists.
final class LiveToolDefinitions: Sendable {
    /// Bounds memory against an upstream that invents tool names: past this, old sightings are forgotten.
    static let capacity = 100_000

    private struct State {
        var hashes: [EnforcementSnapshot.ToolKey: String] = [:]
        /// Servers whose last `tools/list` answer could not be read (issue 10 item 7).
        var unreadable: Set<UUID> = []
    }

    private let state = NIOLockedValueBox(State())

    func record(_ hash: String, for key: EnforcementSnapshot.ToolKey) {
        state.withLockedValue { state in
            if state.hashes.count >= Self.capacity, state.hashes[key] == nil { state.hashes.removeAll(keepingCapacity: true) }
            state.hashes[key] = hash
        }
    }

    func hash(of key: EnforcementSnapshot.ToolKey) -> String? {
        state.withLockedValue { $0.hashes[key] }
    }

    /// A `tools/list` answer of the server was read (`true`) or was cut, unparseable or cut off
    /// (`false`). After an unreadable one the live definitions are unknown: a hostile upstream
    /// could be hiding a changed definition, so no tool of it counts as approved until a list
    /// is read again.
    func listing(of server: UUID, wasReadable: Bool) {
        state.withLockedValue { state in
            if wasReadable { state.unreadable.remove(server) } else { state.unreadable.insert(server) }
        }
    }

    /// Whether calls of the tool run the approved definition: the catalog must have an approved
    /// hash, the server's live definitions must be known, and the definition seen live must match
    /// it; before any was seen, the catalog's, unless the server's last discovery failed.
    func isApproved(_ key: EnforcementSnapshot.ToolKey, catalog: SnapshotTool?, server: SnapshotServer) -> Bool {
        guard let catalog, let approved = catalog.approvedHash else { return false }
        let (live, unreadable) = state.withLockedValue { ($0.hashes[key], $0.unreadable.contains(key.serverID)) }
        if unreadable { return false }
        if let live { return live == approved }
        return !server.discoveryFailed && catalog.definitionHash == approved
    }
}
