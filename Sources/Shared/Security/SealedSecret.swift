/// A secret sealed with AES-256-GCM, as stored (`servers.credentials_ciphertext` and
/// `credentials_key_version`).
///
/// The stored bytes carry the key version in front of the GCM box so a row can be opened from its
/// ciphertext alone; the separate column only lets a rotation find rows still under an old key.
/// Layout: version length (1 byte), version (UTF-8), nonce (12), ciphertext, tag (16).
public struct SealedSecret: Sendable, Hashable {
    public let keyVersion: String
    /// Nonce, ciphertext and tag (`AES.GCM.SealedBox.combined`).
    public let box: [UInt8]

    static let nonceAndTagSize = 12 + 16

    init(keyVersion: String, box: [UInt8]) {
        self.keyVersion = keyVersion
        self.box = box
    }

    /// Reads the stored form; says nothing about whether it opens.
    public init(storedBytes bytes: [UInt8]) throws(SecretSealingError) {
        guard let versionLength = bytes.first.map(Int.init), versionLength > 0,
              bytes.count >= 1 + versionLength + Self.nonceAndTagSize,
              let version = String(validating: bytes[1...versionLength], as: UTF8.self)
        else { throw .malformed }
        keyVersion = version
        box = Array(bytes[(1 + versionLength)...])
    }

    public var storedBytes: [UInt8] {
        let version = Array(keyVersion.utf8)
        return [UInt8(version.count)] + version + box
    }
}
