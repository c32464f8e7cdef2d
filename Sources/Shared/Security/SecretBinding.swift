import Foundation

/// The additional authenticated data a secret is sealed under: where it is allowed to live.
///
/// AES-GCM authenticates these bytes without storing them, so a ciphertext copied into another
/// row (another account, another server or another column) fails to open there (design.md §3).
public struct SecretBinding: Sendable, Hashable {
    public let additionalData: [UInt8]

    public init(additionalData: [UInt8]) { self.additionalData = additionalData }

    /// `account|server|field`. Account and server are UUIDs (no `|`, written lower-case as
    /// PostgreSQL prints them), so the field, being last, can hold anything without ambiguity.
    public static func upstreamCredential(account: UUID, server: UUID, field: String) -> SecretBinding {
        let text = "\(account.uuidString.lowercased())|\(server.uuidString.lowercased())|\(field)"
        return SecretBinding(additionalData: Array(text.utf8))
    }
}
