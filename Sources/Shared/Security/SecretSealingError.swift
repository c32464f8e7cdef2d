/// Why a secret could not be sealed or opened. Never carries plaintext or key material.
public struct SecretSealingError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case malformed
        case versionTooLong
        case sealingFailed
        case unknownKeyVersion(String)
        case authenticationFailed
    }

    private let code: Code

    /// The stored bytes are not a sealed secret (truncated, or not written by this code).
    public static let malformed = SecretSealingError(code: .malformed)
    /// Key versions are written with a one-byte length.
    public static let versionTooLong = SecretSealingError(code: .versionTooLong)
    /// The crypto library refused to seal (not expected with the keys a ring holds).
    public static let sealingFailed = SecretSealingError(code: .sealingFailed)
    /// The ciphertext, its binding or its key do not match: tampered, copied from another row, or
    /// a key with the right version name but the wrong bytes.
    public static let authenticationFailed = SecretSealingError(code: .authenticationFailed)

    /// Sealed under a key the ring no longer (or never) had: an operator removed it too early.
    public static func unknownKeyVersion(_ version: String) -> SecretSealingError {
        SecretSealingError(code: .unknownKeyVersion(version))
    }

    public var description: String {
        switch code {
        case .malformed: "sealed secret is malformed"
        case .versionTooLong: "key version is longer than 255 bytes"
        case .sealingFailed: "sealing failed"
        case .unknownKeyVersion(let version):
            "sealed with key version \(version), which is not in PORTCULLIS_SECRET_KEYS (keep old keys after a rotation)"
        case .authenticationFailed: "sealed secret does not open: tampered, moved from another row, or the wrong key"
        }
    }
}
