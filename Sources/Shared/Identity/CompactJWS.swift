import JSON

/// A JWS in compact serialization (`header.payload.signature`, RFC 7515 §7.1), split and parsed
/// but not verified. Parsing is bounded: the size cap is checked before anything is decoded, and
/// the header and payload go through the strict `JSONParser` (duplicate keys refused, so the claims
/// judged are the claims signed).
public struct CompactJWS: Sendable {
    /// Larger than any identity provider's access or ID token (a few KiB with many groups).
    public static let maximumBytes = 16 * 1024

    public let header: JSONObject
    public let payload: JSONObject
    /// The decoded third segment.
    public let signature: [UInt8]
    /// `header.payload` as sent: what the signature signs.
    public let signingInput: ArraySlice<UInt8>

    /// Nil for anything that is not a well-formed compact JWS within `maximumBytes`.
    public init?(_ token: String) {
        let bytes = Array(token.utf8)
        guard bytes.count <= Self.maximumBytes else { return nil }
        let segments = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3, !segments[0].isEmpty, !segments[1].isEmpty,
              let header = Self.object(segments[0]), let payload = Self.object(segments[1]),
              let signature = Base64URL.decode(String(decoding: segments[2], as: UTF8.self))
        else { return nil }
        self.header = header
        self.payload = payload
        self.signature = signature
        signingInput = bytes[..<segments[1].endIndex]
    }

    /// The header's `alg`.
    public var algorithm: String? { header["alg"]?.stringValue }

    private static func object(_ segment: ArraySlice<UInt8>) -> JSONObject? {
        guard let json = Base64URL.decode(String(decoding: segment, as: UTF8.self)),
              let value = try? JSONParser(maxDepth: 16).parse(json)
        else { return nil }
        return value.objectValue
    }
}
