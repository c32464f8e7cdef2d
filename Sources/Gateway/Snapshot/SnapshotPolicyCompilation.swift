import Foundation
import PolicyEngine
import Shared

/// Compiles a snapshot's policy documents for `EnforcementSnapshot` (issue 10 item 11).
///
/// A document that does not compile on this worker (the control plane validated it, so this means a
/// version skew or a bypassed control plane) puts its own grants under `denyAll`; it never refuses
/// the snapshot, which would freeze every tenant's changes, revocations included. A policy whose id
/// and version the previous snapshot already holds is reused, so a delta costs one compilation per
/// changed policy, not one per policy of the installation.
struct SnapshotPolicyCompilation {
    /// A document that did not compile, named by id and version (its text never reaches the log).
    struct Failure: Sendable, Equatable, CustomStringConvertible {
        let policyID: UUID
        let version: Int
        let reason: String

        var description: String { "policy \(policyID) version \(version) does not compile: \(reason)" }
    }

    /// What a grant gets when its policy does not compile: every call denied (`default_deny`), and
    /// `tools/list` shows only approved definitions.
    static let denyAll: CompiledPolicy = {
        do {
            return try CompiledPolicy(document: ["version": "1", "default": "deny", "pin": "block"])
        } catch {
            preconditionFailure("the deny-all policy must compile: \(error)")
        }
    }()

    private(set) var policies: [UUID: EnforcementSnapshot.Policy] = [:]
    /// Documents compiled for this snapshot (reused ones excluded): `portcullis_policy_compilations_total`.
    private(set) var compilations = 0
    /// Documents that failed in this compilation; a failure reused from the previous snapshot is
    /// not repeated, so each bad version is logged and counted once.
    private(set) var failures: [Failure] = []

    init(_ documents: [SnapshotPolicy], reusing previous: [UUID: EnforcementSnapshot.Policy]) {
        for document in documents {
            if let known = previous[document.id], known.version == document.version, known.accountID == document.accountID {
                policies[document.id] = known
                continue
            }
            compilations += 1
            do {
                let compiled = try CompiledPolicy(json: Array(document.document.utf8))
                policies[document.id] = EnforcementSnapshot.Policy(
                    accountID: document.accountID, version: document.version, compiled: compiled, compileFailure: nil)
            } catch {
                let failure = Failure(policyID: document.id, version: document.version, reason: "\(error)")
                failures.append(failure)
                policies[document.id] = EnforcementSnapshot.Policy(
                    accountID: document.accountID, version: document.version, compiled: Self.denyAll, compileFailure: failure)
            }
        }
    }
}
