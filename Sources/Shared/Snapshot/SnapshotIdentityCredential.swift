import Foundation

/// An identity's own upstream credential for one server (issue 14 item 5): what a worker sends
/// upstream for that identity's calls when the server's `credentialMode` is not `shared`. Sealed as
/// in `SnapshotServer`, but bound to the identity too (`UpstreamAuth.binding(account:server:identity:)`),
/// and opened by the worker only for the call that needs it. For an upstream the identity connected
/// with OAuth this is a short-lived access token the control plane refreshes before `expiresAt`;
/// the refresh token never leaves the control plane.
public struct SnapshotIdentityCredential: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var accountID: UUID
    public var identityID: UUID
    public var serverID: UUID
    /// `bearer` or `headers` (`UpstreamAuth.storedType`).
    public var authType: String
    /// AES-GCM sealed credentials (base64) and their key version.
    public var sealedCredentials: String
    public var credentialsKeyVersion: String
    /// When the credential stops working (an OAuth access token); nil for a static one. A worker
    /// does not send an expired one.
    public var expiresAt: Date?

    public init(
        id: UUID, accountID: UUID, identityID: UUID, serverID: UUID, authType: String, sealedCredentials: String,
        credentialsKeyVersion: String, expiresAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.identityID = identityID
        self.serverID = serverID
        self.authType = authType
        self.sealedCredentials = sealedCredentials
        self.credentialsKeyVersion = credentialsKeyVersion
        self.expiresAt = expiresAt
    }
}
