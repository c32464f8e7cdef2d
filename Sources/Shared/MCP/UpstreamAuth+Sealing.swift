import Foundation

/// Sealing a server's upstream credentials into `servers.credentials_ciphertext` and opening them
/// again, in one place so the control plane (which seals, and opens for discovery) and gateway
/// workers (which open to call upstream) bind the ciphertext to the same `account|server|field`.
extension UpstreamAuth {
    /// The `field` part of the binding (design.md §3): the column the ciphertext lives in.
    public static let sealedField = "credentials"

    public static func binding(account: UUID, server: UUID) -> SecretBinding {
        .upstreamCredential(account: account, server: server, field: sealedField)
    }

    /// The sealed credentials, or nil for `.none` (which stores no ciphertext).
    public func sealed(with sealer: SecretSealer, account: UUID, server: UUID) throws(SecretSealingError) -> SealedSecret? {
        guard let plaintext = credentialsPlaintext else { return nil }
        return try sealer.seal(plaintext, boundTo: Self.binding(account: account, server: server))
    }

    /// Rebuilds the auth of a stored row. `sealer` may be nil only when nothing is sealed.
    public init(storedType: String, sealedBytes: [UInt8]?, sealer: SecretSealer?, account: UUID, server: UUID) throws {
        guard let sealedBytes else {
            self = try UpstreamAuth(storedType: storedType, credentialsPlaintext: nil)
            return
        }
        guard let sealer else { throw SecretSealingError.unknownKeyVersion((try? SealedSecret(storedBytes: sealedBytes))?.keyVersion ?? "?") }
        let plaintext = try sealer.open(SealedSecret(storedBytes: sealedBytes), boundTo: Self.binding(account: account, server: server))
        self = try UpstreamAuth(storedType: storedType, credentialsPlaintext: plaintext)
    }
}
