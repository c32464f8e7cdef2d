import Crypto

/// The kinds of bearer token Portcullis hands out (design.md §3). The prefix says what a leaked token
/// opens, so a secret scanner can route the report.
public enum TokenKind: String, Sendable, CaseIterable {
    case apiKey = "pcs_ak_"
    case grant = "pcs_gt_"
    case worker = "pcs_wk_"
    // The OAuth authorization server's secrets (issue 14 item 2): an authorization code, a
    // refresh token, a confidential client's secret.
    case oauthCode = "pcs_oc_"
    case oauthRefresh = "pcs_rt_"
    case oauthClientSecret = "pcs_cs_"

    public var prefix: String { rawValue }
}

/// A bearer token: `pcs_xx_` + 30 random base62 characters (178 bits) + a 6-character checksum,
/// the CRC-32 of everything before it in base62.
///
/// The token is shown once; the database keeps only `hash` (SHA-256 of the whole token text), and
/// a request is authenticated by looking that hash up. The checksum lets `parse` turn away typos
/// and random strings without a database round trip, and lets scanners recognise real tokens.
public struct SecretToken: Sendable {
    static let randomLength = 30
    static let checksumLength = 6
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    public let kind: TokenKind
    /// The whole token. Never log it.
    public let text: String

    private init(kind: TokenKind, text: String) {
        self.kind = kind
        self.text = text
    }

    /// A fresh token from the system's cryptographic random source.
    public static func generate(_ kind: TokenKind) -> SecretToken {
        var generator = SystemRandomNumberGenerator()
        // randomElement draws uniformly (no modulo bias) from the 62 characters.
        let random = (0..<randomLength).map { _ in alphabet.randomElement(using: &generator)! }
        let body = Array(kind.prefix.utf8) + random
        return SecretToken(kind: kind, text: String(decoding: body + checksum(of: body), as: UTF8.self))
    }

    /// Reads a presented token: nil unless it has the expected prefix, length, alphabet and checksum.
    public static func parse(_ text: some StringProtocol, as kind: TokenKind) -> SecretToken? {
        let bytes = Array(text.utf8)
        let prefix = Array(kind.prefix.utf8)
        guard bytes.count == prefix.count + randomLength + checksumLength,
              bytes.starts(with: prefix),
              bytes[prefix.count...].allSatisfy(isBase62)
        else { return nil }
        let body = bytes.dropLast(checksumLength)
        guard checksum(of: body).elementsEqual(bytes.suffix(checksumLength)) else { return nil }
        return SecretToken(kind: kind, text: String(text))
    }

    /// SHA-256 of the token text: the only form the database stores and looks up.
    public var hash: [UInt8] { Self.hash(of: text) }

    public static func hash(of text: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(text.utf8)))
    }

    /// The last four characters (all checksum), enough for a list to tell keys apart without
    /// revealing any of the random part.
    public var lastCharacters: String { String(text.suffix(4)) }

    /// CRC-32 in base62, left-padded with `0` to six characters (62^6 > 2^32).
    static func checksum(of body: some Collection<UInt8>) -> [UInt8] {
        var value = CRC32.checksum(body)
        var digits = [UInt8](repeating: alphabet[0], count: checksumLength)
        for index in stride(from: checksumLength - 1, through: 0, by: -1) {
            digits[index] = alphabet[Int(value % 62)]
            value /= 62
        }
        return digits
    }

    private static func isBase62(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): true
        default: false
        }
    }
}
