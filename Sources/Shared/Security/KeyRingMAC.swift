import Crypto
import Foundation

/// An HMAC-SHA256 under every key of the ring for one purpose (issue 10 item 22).
///
/// A value MACed before a rotation (an approval's arguments fingerprint, stored in the database)
/// was made under the key that was active then. Producing new values needs only the active key,
/// but matching stored ones must try each key of the ring, or every pending and approved request
/// is orphaned the moment a new key is put first. `codes` gives the candidates, active first, for
/// a lookup such as `arguments_hash = ANY($codes)`.
public struct KeyRingMAC: Sendable {
    private let keys: [SymmetricKey]

    public init(keyRing: SecretKeyRing, purpose: KeyPurpose) {
        keys = keyRing.derived(for: purpose).keys.map(\.key)
    }

    /// Under the active key: what new values are made with.
    public func code(_ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: keys[0]))
    }

    /// Under every key, active first: what a stored value may be.
    public func codes(_ message: [UInt8]) -> [[UInt8]] {
        keys.map { Array(HMAC<SHA256>.authenticationCode(for: message, using: $0)) }
    }
}
