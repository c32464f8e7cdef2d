import Foundation
import Shared

/// A policy snapshot indexed for the hot path: every lookup a tool call needs is one dictionary
/// access, and every policy document is compiled once, when the snapshot arrives (SPEC 6.1).
/// Immutable, so request handlers share it without locks; a new snapshot is a new instance.
final class EnforcementSnapshot: Sendable {
    /// A policy compiled from the document at `version`.
    struct Policy: Sendable {
        let accountID: UUID
        let version: Int
        let compiled: CompiledPolicy
    }

    /// A catalog tool is looked up by the server it belongs to and the name the agent calls.
    struct ToolKey: Hashable, Sendable {
        let serverID: UUID
        let name: String
    }

    /// The change number this snapshot is current as of.
    let version: Int64
    /// When this worker received it; `/metrics` shows its age (SPEC 5.10).
    let receivedAt: Date
    let accountsByID: [UUID: SnapshotAccount]
    /// Grants by the SHA-256 of their bearer token, lowercase hex.
    let grantsByTokenHash: [String: SnapshotGrant]
    /// Each grant's counter keys (lowercase ids), built once rather than on every call.
    let counterOwners: [UUID: CounterOwner]
    let serversByID: [UUID: SnapshotServer]
    let identitiesByID: [UUID: SnapshotIdentity]
    /// Each identity's metadata parsed once, for `identity.metadata.*` conditions.
    let identityMetadata: [UUID: JSONValue]
    let policiesByID: [UUID: Policy]
    /// Pins (definition and approved hash) and risk classes of the catalog.
    let toolsByKey: [ToolKey: SnapshotTool]

    /// Indexes `snapshot` and compiles its policies; a policy that does not compile refuses the
    /// whole snapshot, so the previous one stays in force (SPEC 5.10).
    init(_ snapshot: FullSnapshot, receivedAt: Date = Date()) throws(EnforcementSnapshotError) {
        var policies: [UUID: Policy] = [:]
        for policy in snapshot.entities.policies {
            do {
                policies[policy.id] = Policy(
                    accountID: policy.accountID, version: policy.version, compiled: try CompiledPolicy(json: Array(policy.document.utf8))
                )
            } catch {
                throw .policyDoesNotCompile(policyID: policy.id, version: policy.version, reason: "\(error)")
            }
        }
        self.version = snapshot.version
        self.receivedAt = receivedAt
        self.policiesByID = policies
        self.accountsByID = Dictionary(snapshot.entities.accounts.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.grantsByTokenHash = Dictionary(snapshot.entities.grants.map { ($0.tokenHash, $0) }, uniquingKeysWith: { _, last in last })
        self.counterOwners = Dictionary(snapshot.entities.grants.map { grant in
            (grant.id, CounterOwner(
                accountID: grant.accountID.uuidString.lowercased(), grantID: grant.id.uuidString.lowercased(),
                identityID: grant.identityID.uuidString.lowercased(), serverID: grant.serverID.uuidString.lowercased()))
        }, uniquingKeysWith: { _, last in last })
        self.serversByID = Dictionary(snapshot.entities.servers.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.identitiesByID = Dictionary(snapshot.entities.identities.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.identityMetadata = Dictionary(
            snapshot.entities.identities.compactMap { identity in
                (try? JSONParser().parse(Array(identity.metadata.utf8))).map { (identity.id, $0) }
            }, uniquingKeysWith: { _, last in last })
        self.toolsByKey = Dictionary(
            snapshot.entities.tools.map { (ToolKey(serverID: $0.serverID, name: $0.name), $0) }, uniquingKeysWith: { _, last in last }
        )
    }
}

/// Why a snapshot was refused; the text names the policy, never its contents.
enum EnforcementSnapshotError: Error, Equatable, CustomStringConvertible {
    case policyDoesNotCompile(policyID: UUID, version: Int, reason: String)

    var description: String {
        switch self {
        case .policyDoesNotCompile(let id, let version, let reason): "policy \(id) version \(version) does not compile: \(reason)"
        }
    }
}
