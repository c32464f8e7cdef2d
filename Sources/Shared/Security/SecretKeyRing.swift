import Crypto
import Foundation

/// The operator's secret keys (`PORTCULLIS_SECRET_KEYS=v2:BASE64,v1:BASE64`). The first key is
/// active: it encrypts new secrets. Older keys stay so rows written under them still decrypt.
public struct SecretKeyRing: Sendable {
    public struct Key: Sendable {
        public let version: String
        public let key: SymmetricKey
    }

    public let keys: [Key]
    public var active: Key { keys[0] }

    public init(parsing text: String) throws {
        var keys: [Key] = []
        for entry in text.split(separator: ",") {
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw SecretKeyRingError("each key must be written VERSION:BASE64 (e.g. v1:...)")
            }
            let version = String(parts[0])
            guard let bytes = Data(base64Encoded: String(parts[1])), bytes.count == 32 else {
                throw SecretKeyRingError("key \(version) must be 32 bytes, base64-encoded")
            }
            guard !keys.contains(where: { $0.version == version }) else {
                throw SecretKeyRingError("key version \(version) appears twice")
            }
            keys.append(Key(version: version, key: SymmetricKey(data: bytes)))
        }
        guard !keys.isEmpty else { throw SecretKeyRingError("no keys given") }
        self.keys = keys
    }

    public func key(version: String) -> SymmetricKey? {
        keys.first { $0.version == version }?.key
    }
}

/// Says what is wrong with the key list without ever echoing key material.
public struct SecretKeyRingError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
