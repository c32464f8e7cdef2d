import Crypto
import Foundation

/// Seals and opens secrets with AES-256-GCM under the operator's keys (design.md §3).
///
/// New secrets are sealed with the active (first) key; opening picks the key by the version the
/// secret carries, so after a rotation (`v2:NEW,v1:OLD`) every existing row still opens and is
/// re-sealed under v2 whenever it is next written.
public struct SecretSealer: Sendable {
    private let keys: SecretKeyRing

    /// Keys are HKDF subkeys for `purpose`, never the operator keys themselves.
    public init(keyRing: SecretKeyRing, purpose: KeyPurpose) {
        keys = keyRing.derived(for: purpose)
    }

    /// The version new secrets are sealed under.
    public var activeVersion: String { keys.active.version }

    public func seal(_ plaintext: [UInt8], boundTo binding: SecretBinding) throws(SecretSealingError) -> SealedSecret {
        let active = keys.active
        guard active.version.utf8.count <= UInt8.max else { throw .versionTooLong }
        let box: AES.GCM.SealedBox
        do {
            box = try AES.GCM.seal(plaintext, using: active.key, authenticating: binding.additionalData)
        } catch {
            // Unreachable with a 32-byte key and a random 12-byte nonce; reported rather than trapped.
            throw .sealingFailed
        }
        // `combined` is nil only for nonces of non-standard size; the nonce here is always 12 bytes.
        guard let combined = box.combined else { throw .sealingFailed }
        return SealedSecret(keyVersion: active.version, box: Array(combined))
    }

    public func open(_ sealed: SealedSecret, boundTo binding: SecretBinding) throws(SecretSealingError) -> [UInt8] {
        guard let key = keys.key(version: sealed.keyVersion) else { throw .unknownKeyVersion(sealed.keyVersion) }
        let box: AES.GCM.SealedBox
        do {
            box = try AES.GCM.SealedBox(combined: sealed.box)
        } catch {
            throw .malformed
        }
        do {
            return Array(try AES.GCM.open(box, using: key, authenticating: binding.additionalData))
        } catch {
            throw .authenticationFailed
        }
    }

    /// The same plaintext sealed under the active key, for `controlplane reseal` (issue 10 item
    /// 22); nil when `sealed` already is. Throws when it does not open under its own key.
    public func resealed(_ sealed: SealedSecret, boundTo binding: SecretBinding) throws(SecretSealingError) -> SealedSecret? {
        guard sealed.keyVersion != keys.active.version else { return nil }
        return try seal(open(sealed, boundTo: binding), boundTo: binding)
    }
}
