/// CRC-32 as zlib, PNG and GitHub's token checksums compute it (IEEE polynomial, reflected,
/// initial value and final XOR 0xFFFFFFFF). Tokens carry it so a scanner written in any language
/// with a stock CRC-32 can check a Portcullis token offline (design.md §3); audit spool records
/// carry it to catch the torn and zero-filled tails a crash leaves.
package enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1
        }
        return value
    }

    /// The checksum of `bytes`, or of the bytes checksummed to `previous` followed by `bytes`.
    package static func checksum(_ bytes: some Sequence<UInt8>, continuing previous: UInt32 = 0) -> UInt32 {
        var crc = ~previous
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return ~crc
    }
}
