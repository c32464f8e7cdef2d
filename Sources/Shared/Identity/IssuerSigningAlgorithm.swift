/// The JWS algorithms a trusted issuer's tokens may use (issue 14 item 4). Never `none` (no
/// signature at all) and never an HMAC (`HS*`): its secret would have to be shared with every
/// verifier, and a verifier that accepts HS256 can be fed a token "signed" with the issuer's
/// public key as the secret (algorithm confusion).
public enum IssuerSigningAlgorithm: String, Codable, Sendable, CaseIterable {
    case rs256 = "RS256"
    case es256 = "ES256"
    case edDSA = "EdDSA"
}
