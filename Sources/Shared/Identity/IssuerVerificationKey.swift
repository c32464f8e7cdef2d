import Crypto
import CryptoExtras
import Foundation

/// A trusted issuer's public key, ready to check signatures (issue 14 item 4). Built from a
/// `SnapshotTrustedIssuer.Key` by the control plane (to publish only keys that work) and by each
/// worker once per snapshot, never per request.
///
/// Signatures are checked synchronously with swift-crypto, the primitives jwt-kit wraps: the
/// gateway's authentication is synchronous (the identity contract's `ExternalTokenVerifier`
/// signature), and jwt-kit 5 verifies only through its `JWTKeyCollection` actor.
public struct IssuerVerificationKey: Sendable {
    private enum Backing: Sendable {
        case rs256(_RSA.Signing.PublicKey)
        case es256(P256.Signing.PublicKey)
        case edDSA(Curve25519.Signing.PublicKey)
    }

    public let kid: String?
    public let algorithm: IssuerSigningAlgorithm
    private let backing: Backing

    /// Why a key of a JWKS cannot be used, for the issuer's `keys_error`.
    public struct Unusable: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ key: SnapshotTrustedIssuer.Key) throws(Unusable) {
        kid = key.kid
        algorithm = key.algorithm
        func parameter(_ text: String?, _ name: String, count: Int? = nil) throws(Unusable) -> [UInt8] {
            guard let text, let bytes = Base64URL.decode(text), !bytes.isEmpty, count.map({ bytes.count == $0 }) ?? true else {
                throw Unusable(description: "its \(name) is missing or not a valid \(key.algorithm.rawValue) parameter")
            }
            return bytes
        }
        do {
            switch key.algorithm {
            case .edDSA:
                backing = .edDSA(try Curve25519.Signing.PublicKey(rawRepresentation: try parameter(key.x, "x", count: 32)))
            case .es256:
                let point = try parameter(key.x, "x", count: 32) + parameter(key.y, "y", count: 32)
                backing = .es256(try P256.Signing.PublicKey(rawRepresentation: point))
            case .rs256:
                // swift-crypto refuses moduli under 2048 bits.
                backing = .rs256(try _RSA.Signing.PublicKey(n: try parameter(key.n, "n"), e: try parameter(key.e, "e")))
            }
        } catch let error as Unusable {
            throw error
        } catch {
            throw Unusable(description: "it is not a valid \(key.algorithm.rawValue) public key (\(error))")
        }
    }

    /// Whether `signature` (the JWS's third segment, decoded) signs `signingInput` (`header.payload`).
    public func verifies(_ signature: [UInt8], signs signingInput: some DataProtocol) -> Bool {
        switch backing {
        case .edDSA(let key):
            return key.isValidSignature(signature, for: signingInput)
        case .es256(let key):
            // JWS carries ECDSA signatures as r || s (RFC 7518 §3.4), not DER.
            guard signature.count == 64, let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(ecdsa, for: SHA256.hash(data: Array(signingInput)))
        case .rs256(let key):
            return key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: Array(signingInput)),
                padding: .insecurePKCS1v1_5)
        }
    }
}
