import Foundation
import Shared

/// The snapshot's trusted issuers as `ExternalTokenVerifier` reads them (issue 14 item 4): by
/// account and `iss`, with their keys built once per snapshot, and the identities and grants of
/// the accounts that trust an issuer, by label and by (identity, server).
struct TrustedIssuerIndex: Sendable {
    struct Issuer: Sendable {
        let settings: SnapshotTrustedIssuer
        let keys: [IssuerVerificationKey]
    }

    private struct IssuerKey: Hashable {
        let accountID: UUID
        let issuer: String
    }

    private struct LabelKey: Hashable {
        let accountID: UUID
        let label: String
    }

    private struct GrantKey: Hashable {
        let identityID: UUID
        let serverID: UUID
    }

    private let issuers: [IssuerKey: Issuer]
    private let identitiesByLabel: [LabelKey: SnapshotIdentity]
    private let grantsByIdentityAndServer: [GrantKey: [SnapshotGrant]]

    /// A key the control plane published but this worker cannot build (it checked the same way, so
    /// only a newer control plane's key could) is left out: tokens it signed are refused. Issuers
    /// unchanged since `previous` keep their built keys, so a snapshot change elsewhere does not
    /// rebuild every account's RSA keys (issue 11: propagation stays cheap).
    init(_ entities: SnapshotEntities, reusing previous: TrustedIssuerIndex? = nil) {
        issuers = Dictionary(
            entities.trustedIssuers.map { issuer in
                let key = IssuerKey(accountID: issuer.accountID, issuer: issuer.issuer)
                if let built = previous?.issuers[key], built.settings == issuer { return (key, built) }
                return (key, Issuer(settings: issuer, keys: issuer.keys.compactMap { try? IssuerVerificationKey($0) }))
            }, uniquingKeysWith: { _, last in last })
        let trusting = Set(entities.trustedIssuers.map(\.accountID))
        identitiesByLabel = Dictionary(
            entities.identities.filter { trusting.contains($0.accountID) }.map { (LabelKey(accountID: $0.accountID, label: $0.label), $0) },
            uniquingKeysWith: { _, last in last })
        grantsByIdentityAndServer = Dictionary(
            grouping: entities.grants.filter { trusting.contains($0.accountID) }, by: { GrantKey(identityID: $0.identityID, serverID: $0.serverID) })
    }

    func issuer(_ issuer: String, account: UUID) -> Issuer? {
        issuers[IssuerKey(accountID: account, issuer: issuer)]
    }

    func identity(labelled label: String, account: UUID) -> SnapshotIdentity? {
        identitiesByLabel[LabelKey(accountID: account, label: label)]
    }

    /// The identity's grants on the server that are neither revoked nor expired at `now`.
    func activeGrants(of identity: UUID, on server: UUID, now: Date) -> [SnapshotGrant] {
        (grantsByIdentityAndServer[GrantKey(identityID: identity, serverID: server)] ?? [])
            .filter { !$0.revoked && ($0.expiresAt.map { $0 > now } ?? true) }
    }
}
