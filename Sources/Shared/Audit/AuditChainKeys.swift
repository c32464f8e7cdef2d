import Crypto

/// The keys of the audit chain (issue 10 item 20): the operator's secret key ring derived for
/// `KeyPurpose.auditChain`. Gateway workers chain new events under the active key and record its
/// version in the row; the control plane verifies each row under the version it names, so a ring
/// that still lists a rotated-out key verifies the rows it chained. PostgreSQL never sees a key, so
/// a database writer cannot recompute a valid link.
public struct AuditChainKeys: Sendable {
    private let ring: SecretKeyRing

    public init(keyRing: SecretKeyRing) {
        ring = keyRing.derived(for: .auditChain)
    }

    /// The version new links are chained under.
    public var activeVersion: String { ring.active.version }
    var activeKey: SymmetricKey { ring.active.key }

    public func key(version: String) -> SymmetricKey? { ring.key(version: version) }
}
