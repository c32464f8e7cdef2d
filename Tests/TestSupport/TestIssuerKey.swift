import Crypto
import CryptoExtras
import Foundation
import JSON
import Shared

/// A signing key of a test identity provider (issue 14 item 4), with its public JWK, and tokens
/// signed by hand so hostile ones (`alg: none`, a wrong key, a forged header) are as easy to make
/// as valid ones.
public struct TestIssuerKey: Sendable {
    public enum Kind: Sendable {
        case ed25519(Curve25519.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    public let kid: String
    public let kind: Kind

    public init(kid: String, kind: Kind) {
        self.kid = kid
        self.kind = kind
    }

    public static func ed25519(kid: String = "ed-\(UUID().uuidString.prefix(8))") -> TestIssuerKey {
        TestIssuerKey(kid: kid, kind: .ed25519(Curve25519.Signing.PrivateKey()))
    }

    public static func p256(kid: String = "ec-\(UUID().uuidString.prefix(8))") -> TestIssuerKey {
        TestIssuerKey(kid: kid, kind: .p256(P256.Signing.PrivateKey()))
    }

    public static func rsa(kid: String = "rsa-\(UUID().uuidString.prefix(8))") throws -> TestIssuerKey {
        TestIssuerKey(kid: kid, kind: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048)))
    }

    public var algorithm: String {
        switch kind {
        case .ed25519: "EdDSA"
        case .p256: "ES256"
        case .rsa: "RS256"
        }
    }

    /// The public JWK, as an identity provider's JWKS lists it.
    public var jwk: JSONValue {
        switch kind {
        case .ed25519(let key):
            return ["kty": "OKP", "crv": "Ed25519", "use": "sig", "kid": .string(kid), "alg": "EdDSA",
             "x": .string(Base64URL.encode(key.publicKey.rawRepresentation))]
        case .p256(let key):
            let point = key.publicKey.rawRepresentation
            return ["kty": "EC", "crv": "P-256", "use": "sig", "kid": .string(kid), "alg": "ES256",
                    "x": .string(Base64URL.encode(point.prefix(32))), "y": .string(Base64URL.encode(point.suffix(32)))]
        case .rsa(let key):
            let primitives = try! key.publicKey.getKeyPrimitives()
            return ["kty": "RSA", "use": "sig", "kid": .string(kid), "alg": "RS256",
                    "n": .string(Base64URL.encode(primitives.modulus)), "e": .string(Base64URL.encode(primitives.publicExponent))]
        }
    }

    /// The key as the control plane publishes it in snapshots.
    public var published: SnapshotTrustedIssuer.Key {
        SnapshotTrustedIssuer.Key(
            kid: kid, algorithm: IssuerSigningAlgorithm(rawValue: algorithm)!,
            x: jwk["x"]?.stringValue, y: jwk["y"]?.stringValue, n: jwk["n"]?.stringValue, e: jwk["e"]?.stringValue)
    }

    /// A compact JWS of `claims`. `header` members replace the defaults (`alg`, `kid`, `typ`); a
    /// member set to null is left out.
    public func token(_ claims: JSONValue, header overrides: [String: JSONValue] = [:]) throws -> String {
        var header = JSONObject([("alg", .string(algorithm)), ("kid", .string(kid)), ("typ", "JWT")])
        for (name, value) in overrides { header[name] = value }
        let kept = JSONObject(header.keys.compactMap { name in header[name].flatMap { $0.isNull ? nil : (name, $0) } })
        let input = Base64URL.encode(JSONValue.object(kept).serializedBytes()) + "." + Base64URL.encode(claims.serializedBytes())
        return input + "." + Base64URL.encode(try signature(of: Array(input.utf8)))
    }

    public func signature(of input: [UInt8]) throws -> [UInt8] {
        switch kind {
        case .ed25519(let key): Array(try key.signature(for: input))
        case .p256(let key): Array(try key.signature(for: input).rawRepresentation)
        case .rsa(let key): Array(try key.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }
}

/// Claims of a token from a test issuer: valid for `lifetime` from `now` unless overridden.
public func testIssuerClaims(
    issuer: String, audience: String, subject: String, now: Date = Date(), lifetime: TimeInterval = 300, extra: [String: JSONValue] = [:]
) -> JSONValue {
    var claims = JSONObject([
        ("iss", .string(issuer)), ("aud", .string(audience)), ("sub", .string(subject)),
        ("iat", .number(JSONNumber(Int(now.timeIntervalSince1970)))),
        ("exp", .number(JSONNumber(Int(now.timeIntervalSince1970 + lifetime)))),
    ])
    for (name, value) in extra { claims[name] = value }
    return .object(claims)
}
