import Foundation
import JSON
import PolicyEngine
import Shared

/// A policy snapshot indexed for the hot path: every lookup a tool call needs is one dictionary
/// access, and every policy document is compiled once, when the snapshot arrives (design.md §6.1).
/// Immutable, so request handlers share it without locks; a new snapshot is a new instance.
final class EnforcementSnapshot: Sendable {
    /// A policy compiled from the document at `version`.
    struct Policy: Sendable {
        let accountID: UUID
        let version: Int
        /// `SnapshotPolicyCompilation.denyAll` when the document does not compile on this worker.
        let compiled: CompiledPolicy
        let compileFailure: SnapshotPolicyCompilation.Failure?
    }

    /// A catalog tool is looked up by the server it belongs to and the name the agent calls.
    /// The name compares by code points: "é" and "e\u{301}" are two tools for the upstream, so
    /// they are two for the catalog lookup too (issue 10 item 23).
    struct ToolKey: Hashable, Sendable {
        let serverID: UUID
        private let codePoints: CodePointText
        var name: String { codePoints.text }

        init(serverID: UUID, name: String) {
            self.serverID = serverID
            codePoints = CodePointText(name)
        }
    }

    /// An identity's own upstream credential is looked up by who calls and where (issue 14 item 5).
    struct IdentityServerKey: Hashable, Sendable {
        let identityID: UUID
        let serverID: UUID
    }

    /// The change number this snapshot is current as of.
    let version: Int64
    /// When this worker received it; `/metrics` shows its age (design.md §5.10).
    let receivedAt: Date
    let accountsByID: [UUID: SnapshotAccount]
    /// Grants by the SHA-256 of their bearer token, lowercase hex.
    let grantsByTokenHash: [String: SnapshotGrant]
    /// Grants by id, for the credentials that name their grant (OAuth access tokens, issue 14).
    let grantsByID: [UUID: SnapshotGrant]
    /// The control plane's signing keys and the members' OAuth authorizations (issue 14 item 3).
    let oauth: OAuthVerificationIndex
    /// Each grant's counter keys (lowercase ids), built once rather than on every call.
    let counterOwners: [UUID: CounterOwner]
    let serversByID: [UUID: SnapshotServer]
    let identitiesByID: [UUID: SnapshotIdentity]
    /// Each identity's metadata parsed once, for `identity.metadata.*` conditions.
    let identityMetadata: [UUID: JSONValue]
    let policiesByID: [UUID: Policy]
    /// Identities' own upstream credentials, still sealed.
    let identityCredentials: [IdentityServerKey: SnapshotIdentityCredential]
    /// Pins (definition and approved hash) and risk classes of the catalog.
    let toolsByKey: [ToolKey: SnapshotTool]
    /// The catalog's inputSchemas, for policies with `validate_arguments`.
    let argumentSchemas: ArgumentSchemaIndex
    /// Identity providers the accounts trust, for `ExternalTokenVerifier`.
    let trustedIssuers: TrustedIssuerIndex
    /// How building this snapshot went for its policies: compilations done, documents that failed.
    let policyCompilation: (compilations: Int, failures: [SnapshotPolicyCompilation.Failure])

    /// Indexes `snapshot` and compiles its policies, reusing those `previous` already compiled at
    /// the same version. A policy that does not compile denies its own grants' calls and leaves
    /// the rest of the snapshot in force (issue 10 item 11, where design.md §5.10 refused the snapshot).
    init(_ snapshot: FullSnapshot, previous: EnforcementSnapshot? = nil, receivedAt: Date = Date()) {
        let compilation = SnapshotPolicyCompilation(snapshot.entities.policies, reusing: previous?.policiesByID ?? [:])
        self.version = snapshot.version
        self.receivedAt = receivedAt
        self.policiesByID = compilation.policies
        self.policyCompilation = (compilation.compilations, compilation.failures)
        self.accountsByID = Dictionary(snapshot.entities.accounts.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.grantsByTokenHash = Dictionary(snapshot.entities.grants.map { ($0.tokenHash, $0) }, uniquingKeysWith: { _, last in last })
        self.grantsByID = Dictionary(snapshot.entities.grants.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.oauth = OAuthVerificationIndex(keys: snapshot.entities.oauthSigningKeys, authorizations: snapshot.entities.oauthAuthorizations)
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
        self.identityCredentials = Dictionary(
            snapshot.entities.identityCredentials.map { (IdentityServerKey(identityID: $0.identityID, serverID: $0.serverID), $0) },
            uniquingKeysWith: { _, last in last })
        self.toolsByKey = Dictionary(
            snapshot.entities.tools.map { (ToolKey(serverID: $0.serverID, name: $0.name), $0) }, uniquingKeysWith: { _, last in last }
        )
        self.argumentSchemas = ArgumentSchemaIndex(snapshot.entities.tools, reusing: previous?.argumentSchemas)
        self.trustedIssuers = TrustedIssuerIndex(snapshot.entities, reusing: previous?.trustedIssuers)
    }
}
