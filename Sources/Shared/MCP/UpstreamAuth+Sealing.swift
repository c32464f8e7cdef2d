import Foundation

/// Sealing upstream credentials and opening them again, in one place so the control plane (which
/// seals, and opens for discovery) and gateway workers (which open to call upstream) bind the
/// ciphertext to the same `account|server|field`: a server's own credential in
/// `servers.credentials_ciphertext`, and each identity's own in `identity_credentials` (issue 14
/// item 5).
extension UpstreamAuth {
    /// The `field` part of the binding (design.md §3): the column the ciphertext lives in.
    public static let sealedField = "credentials"

    /// Where a server's own credential may live.
    public static func binding(account: UUID, server: UUID) -> SecretBinding {
        .upstreamCredential(account: account, server: server, field: sealedField)
    }

    /// Where an identity's own credential for a server may live: a ciphertext copied to another
    /// identity's row, or over the server's own, does not open.
    public static func binding(account: UUID, server: UUID, identity: UUID) -> SecretBinding {
        .upstreamCredential(account: account, server: server, field: "identity_credentials|\(identity.uuidString.lowercased())")
    }

    /// The sealed credentials, or nil for `.none` (which stores no ciphertext).
    public func sealed(with sealer: SecretSealer, account: UUID, server: UUID) throws(SecretSealingError) -> SealedSecret? {
        try sealed(with: sealer, boundTo: Self.binding(account: account, server: server))
    }

    public func sealed(with sealer: SecretSealer, boundTo binding: SecretBinding) throws(SecretSealingError) -> SealedSecret? {
        guard let plaintext = credentialsPlaintext else { return nil }
        return try sealer.seal(plaintext, boundTo: binding)
    }

    /// Rebuilds the auth of a stored server row. `sealer` may be nil only when nothing is sealed.
    public init(storedType: String, sealedBytes: [UInt8]?, sealer: SecretSealer?, account: UUID, server: UUID) throws {
        try self.init(storedType: storedType, sealedBytes: sealedBytes, sealer: sealer, boundTo: Self.binding(account: account, server: server))
    }

    /// Rebuilds the auth of a stored row sealed under `binding`.
    public init(storedType: String, sealedBytes: [UInt8]?, sealer: SecretSealer?, boundTo binding: SecretBinding) throws {
        guard let sealedBytes else {
            self = try UpstreamAuth(storedType: storedType, credentialsPlaintext: nil)
            return
        }
        guard let sealer else { throw SecretSealingError.unknownKeyVersion((try? SealedSecret(storedBytes: sealedBytes))?.keyVersion ?? "?") }
        let plaintext = try sealer.open(SealedSecret(storedBytes: sealedBytes), boundTo: binding)
        self = try UpstreamAuth(storedType: storedType, credentialsPlaintext: plaintext)
    }
}
