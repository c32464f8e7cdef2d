/// Whose credential the gateway sends to a server's upstream (issue 14 item 5), stored in
/// `servers.credential_mode` and carried in `SnapshotServer.credentialMode`.
public enum UpstreamCredentialMode: String, Sendable, CaseIterable {
    /// The server's own credential for every caller (the only mode before issue 14).
    case shared
    /// The calling identity's own credential; a caller without one is refused.
    case perIdentity = "per_identity"
    /// The calling identity's own credential, else the server's.
    case perIdentityOrShared = "per_identity_or_shared"

    /// The mode a worker applies for a stored value. A value this worker does not know (a newer
    /// control plane) is read as `perIdentity`: never send one identity's calls with a credential
    /// the server did not mean for it.
    public init(storedValue: String) {
        self = Self(rawValue: storedValue) ?? .perIdentity
    }
}
