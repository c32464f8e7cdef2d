import Foundation
import Testing

@testable import Shared

/// Issue 14 item 4: what a worker reads about trusted issuers, and how strictly.
struct TrustedIssuerSnapshotTests {
    static let issuer = SnapshotTrustedIssuer(
        id: UUID(), accountID: UUID(), issuer: "https://idp.example", audience: "portcullis", algorithms: [.edDSA, .rs256],
        identityClaim: "sub", groupClaim: nil, groupPolicies: [],
        keys: [.init(kid: "a", algorithm: .edDSA, x: Base64URL.encode([UInt8](repeating: 7, count: 32)))])

    @Test func aSnapshotFromBeforeTrustedIssuersLoadsWithNone() throws {
        let old = #"{"version": 3, "entities": {"accounts": [], "servers": [], "identities": [], "grants": [], "policies": [], "tools": []}}"#
        let snapshot = try SnapshotCoding.decoder().decode(FullSnapshot.self, from: Data(old.utf8))
        #expect(snapshot.entities.trustedIssuers.isEmpty)
    }

    @Test func trustedIssuersRoundTripAndFollowDeltas() throws {
        var entities = SnapshotEntities()
        entities.trustedIssuers = [Self.issuer]
        let full = FullSnapshot(version: 1, entities: entities)
        let decoded = try SnapshotCoding.decoder().decode(FullSnapshot.self, from: SnapshotCoding.encoder().encode(full))
        #expect(decoded == full)
        let deleted = try full.applying(SnapshotDelta(since: 1, version: 2, upserts: SnapshotEntities(), deletes: [.init(kind: .trustedIssuer, id: Self.issuer.id)]))
        #expect(deleted.entities.trustedIssuers.isEmpty)
    }

    /// A newer control plane's algorithm leaves out its keys, not the worker's whole snapshot.
    @Test func anAlgorithmThisWorkerDoesNotKnowLeavesOutOnlyItsKeys() throws {
        var json = String(decoding: try SnapshotCoding.encoder().encode(Self.issuer), as: UTF8.self)
        json = json.replacingOccurrences(of: #""algorithms":["EdDSA","RS256"]"#, with: #""algorithms":["EdDSA","PS512"]"#)
        json = json.replacingOccurrences(of: #""keys":["#, with: #""keys":[{"kid":"new","algorithm":"PS512","n":"AQAB","e":"AQAB"},"#)
        let decoded = try SnapshotCoding.decoder().decode(SnapshotTrustedIssuer.self, from: Data(json.utf8))
        #expect(decoded.algorithms == [.edDSA])
        #expect(decoded.keys == Self.issuer.keys)
    }

    @Test(arguments: ["AQAB=", "AQ+B", "AQ/B", "AQ B", "A", "é"])
    func base64URLHasOneSpelling(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test func base64URLRoundTrips() {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0x00, 0x01]
        #expect(Base64URL.encode(bytes) == "-_-_AAE")
        #expect(Base64URL.decode("-_-_AAE") == bytes)
    }

    @Test func keysThatDoNotBuildAreUnusable() throws {
        let short = SnapshotTrustedIssuer.Key(kid: nil, algorithm: .edDSA, x: Base64URL.encode([UInt8](repeating: 1, count: 31)))
        #expect(throws: IssuerVerificationKey.Unusable.self) { try IssuerVerificationKey(short) }
        let noPoint = SnapshotTrustedIssuer.Key(kid: nil, algorithm: .es256, x: Base64URL.encode([UInt8](repeating: 1, count: 32)), y: nil)
        #expect(throws: IssuerVerificationKey.Unusable.self) { try IssuerVerificationKey(noPoint) }
        // A 1024-bit modulus: swift-crypto refuses RSA keys under 2048 bits.
        let weak = SnapshotTrustedIssuer.Key(kid: nil, algorithm: .rs256, n: Base64URL.encode([0xC0] + [UInt8](repeating: 0x11, count: 127)), e: "AQAB")
        #expect(throws: IssuerVerificationKey.Unusable.self) { try IssuerVerificationKey(weak) }
    }
}
