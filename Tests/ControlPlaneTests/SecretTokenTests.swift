import Crypto
import Foundation
import Shared
import Testing

/// design.md §3: token formats a scanner can recognise offline.
struct SecretTokenTests {
    @Test func crc32MatchesTheStandardCheckValue() {
        // The catalogue check value of CRC-32/ISO-HDLC (zlib's crc32).
        #expect(CRC32Probe.checksum("123456789") == 0xCBF4_3926)
    }

    @Test(arguments: TokenKind.allCases)
    func generatedTokensHaveTheirPrefixAndParseBack(kind: TokenKind) throws {
        let token = SecretToken.generate(kind)
        #expect(token.text.hasPrefix(kind.prefix))
        #expect(token.text.count == kind.prefix.count + 30 + 6)
        let parsed = try #require(SecretToken.parse(token.text, as: kind))
        #expect(parsed.text == token.text)
        #expect(parsed.hash == token.hash)
    }

    @Test func tokensCarryAtLeast160RandomBitsAndDiffer() {
        // 30 base62 characters: 30 * log2(62) ≈ 178.6 bits.
        #expect(30 * log2(62.0) >= 160)
        let texts = Set((0..<200).map { _ in SecretToken.generate(.apiKey).text })
        #expect(texts.count == 200)
    }

    @Test func aChangedCharacterFailsTheChecksum() {
        let text = SecretToken.generate(.grant).text
        var bytes = Array(text.utf8)
        let index = 7 + 5
        bytes[index] = bytes[index] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
        #expect(SecretToken.parse(String(decoding: bytes, as: UTF8.self), as: .grant) == nil)
    }

    @Test func aTokenOfAnotherKindOrShapeIsRefused() {
        let worker = SecretToken.generate(.worker).text
        #expect(SecretToken.parse(worker, as: .apiKey) == nil)
        #expect(SecretToken.parse(String(worker.dropLast()), as: .worker) == nil)
        #expect(SecretToken.parse(worker + "0", as: .worker) == nil)
        #expect(SecretToken.parse("pcs_ak_" + String(repeating: "-", count: 36), as: .apiKey) == nil)
        #expect(SecretToken.parse("", as: .apiKey) == nil)
    }

    @Test func theChecksumIsTheBase62CRC32OfEverythingBeforeIt() throws {
        let text = SecretToken.generate(.apiKey).text
        let body = String(text.dropLast(6))
        var crc = CRC32Probe.checksum(body)
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var digits = ""
        for _ in 0..<6 {
            digits = String(alphabet[Int(crc % 62)]) + digits
            crc /= 62
        }
        #expect(text.hasSuffix(digits))
    }

    @Test func theStoredHashIsSHA256OfTheTokenText() {
        let token = SecretToken.generate(.apiKey)
        #expect(token.hash == Array(SHA256.hash(data: Array(token.text.utf8))))
        #expect(token.lastCharacters == String(token.text.suffix(4)))
    }
}

/// An independent bitwise CRC-32, so the test does not check the implementation against itself.
enum CRC32Probe {
    static func checksum(_ text: String) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in text.utf8 {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
