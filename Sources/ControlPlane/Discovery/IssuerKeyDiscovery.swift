import Foundation
import JSON
import Shared

/// Finds a trusted issuer's public keys (issue 14 item 4): its OpenID discovery document names the
/// `jwks_uri`, whose JWKS holds the keys. Both are fetched through the SSRF guard with the
/// account's allowance (`GuardedDocumentFetch`); only public parameters of keys usable with the
/// issuer's allowed algorithms are kept, each checked by building it as a worker will.
struct IssuerKeyDiscovery: Sendable {
    struct Found: Sendable, Equatable {
        let jwksURI: String
        let keys: [SnapshotTrustedIssuer.Key]
    }

    /// A JWKS with more keys than this is refused: workers build every key of every snapshot.
    static let maximumKeys = 32

    let fetch: GuardedDocumentFetch

    func keys(of issuer: String, algorithms: [IssuerSigningAlgorithm], allowedCIDRs: [String]) async throws(GuardedDocumentFetch.Failure) -> Found {
        let fetch = fetch.allowing(cidrs: allowedCIDRs)
        // OpenID Connect Discovery 1.0 §4: the issuer without its trailing slash, then the well-known path.
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let configuration = try await fetch.object(at: base + "/.well-known/openid-configuration", what: "issuer's discovery document")
        // §4.3: the document must name exactly the issuer it was fetched for, or its keys are
        // another issuer's.
        guard configuration["issuer"]?.stringValue == issuer else {
            throw failure("The discovery document names another issuer than \(issuer).")
        }
        guard let jwksURI = configuration["jwks_uri"]?.stringValue else { throw failure("The discovery document has no jwks_uri.") }
        let jwks = try await fetch.object(at: jwksURI, what: "issuer's JWKS")
        guard let entries = jwks["keys"]?.arrayValue else { throw failure("The JWKS has no keys array.") }
        guard entries.count <= Self.maximumKeys else { throw failure("The JWKS holds \(entries.count) keys, more than \(Self.maximumKeys).") }
        let keys = entries.compactMap { Self.key($0, allowed: algorithms) }
        guard !keys.isEmpty else {
            throw failure("The JWKS has no signing key for \(algorithms.map(\.rawValue).joined(separator: ", ")).")
        }
        return Found(jwksURI: jwksURI, keys: keys)
    }

    /// The public parameters of a JWK usable with one of `allowed`, or nil: encryption keys,
    /// other algorithms and keys that do not build are skipped (a JWKS often holds several kinds).
    static func key(_ entry: JSONValue, allowed: [IssuerSigningAlgorithm]) -> SnapshotTrustedIssuer.Key? {
        guard let jwk = entry.objectValue, jwk["use"]?.stringValue ?? "sig" == "sig" else { return nil }
        let kty = jwk["kty"]?.stringValue, crv = jwk["crv"]?.stringValue
        // The key's own `alg` when it states one, else what its type implies (RFC 7517 §4.4: optional).
        let implied: IssuerSigningAlgorithm? = switch (kty, crv) {
        case ("RSA", _): .rs256
        case ("EC", "P-256"): .es256
        case ("OKP", "Ed25519"): .edDSA
        default: nil
        }
        guard let algorithm = implied, allowed.contains(algorithm) else { return nil }
        if let stated = jwk["alg"], stated.stringValue != algorithm.rawValue { return nil }
        let key = SnapshotTrustedIssuer.Key(
            kid: jwk["kid"]?.stringValue, algorithm: algorithm,
            x: jwk["x"]?.stringValue, y: jwk["y"]?.stringValue, n: jwk["n"]?.stringValue, e: jwk["e"]?.stringValue)
        return (try? IssuerVerificationKey(key)) == nil ? nil : key
    }

    private func failure(_ description: String) -> GuardedDocumentFetch.Failure {
        GuardedDocumentFetch.Failure(description)
    }
}
