import Shared
import Testing

/// The one CRC-32 of the project: token checksums and audit spool records both use it.
struct CRC32Tests {
    @Test func theChecksumIsTheStandardCheckValue() {
        // The catalogue check value of CRC-32/ISO-HDLC (zlib's crc32), and of no bytes.
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test func aChecksumContinuedOverTheRestEqualsTheChecksumOfTheWhole() {
        let whole = Array("length first, then the payload".utf8)
        for split in [0, 1, 6, whole.count] {
            let head = CRC32.checksum(whole[..<split])
            #expect(CRC32.checksum(whole[split...], continuing: head) == CRC32.checksum(whole), "split at \(split)")
        }
    }
}
