import Crypto

/// PBKDF2-HMAC-SHA256 (RFC 8018 section 5.2) over swift-crypto's HMAC.
///
/// swift-crypto ships PBKDF2 only in `_CryptoExtras`, which the package does not depend on; this is
/// the textbook construction, checked against the RFC 7914 section 11 test vectors.
enum PBKDF2 {
    static func deriveSHA256(password: [UInt8], salt: [UInt8], iterations: Int, length: Int) -> [UInt8] {
        precondition(iterations > 0 && length > 0)
        // The keyed HMAC state is computed once; each round copies it instead of re-hashing the key.
        let keyed = HMAC<SHA256>(key: SymmetricKey(data: password))
        var output: [UInt8] = []
        output.reserveCapacity(length)
        var blockIndex: UInt32 = 1
        while output.count < length {
            var first = keyed
            first.update(data: salt)
            first.update(data: withUnsafeBytes(of: blockIndex.bigEndian) { Array($0) })
            var previous = Array(first.finalize())
            var block = previous
            for _ in 1..<iterations {
                var round = keyed
                round.update(data: previous)
                // Copies into the existing arrays: no allocation per round on this hot loop.
                round.finalize().withUnsafeBytes { mac in
                    for index in block.indices {
                        previous[index] = mac[index]
                        block[index] ^= mac[index]
                    }
                }
            }
            output += block.prefix(length - output.count)
            blockIndex += 1
        }
        return output
    }
}
