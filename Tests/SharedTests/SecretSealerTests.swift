import Crypto
import Foundation
import Testing
@testable import Shared

@Suite struct SecretSealerTests {
    static let keyV1 = Data(repeating: 1, count: 32).base64EncodedString()
    static let keyV2 = Data(repeating: 2, count: 32).base64EncodedString()
    static let account = UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF")!
    static let server = UUID(uuidString: "11111111-2222-3333-4444-555555555555")!
    static let binding = SecretBinding.upstreamCredential(account: account, server: server, field: "credentials")
    static let secret = Array(#"{"type":"bearer","token":"sk_live_abc"}"#.utf8)

    static func sealer(_ keys: String) throws -> SecretSealer {
        SecretSealer(keyRing: try SecretKeyRing(parsing: keys), purpose: .upstreamCredentials)
    }

    @Test func sealedSecretOpensWithItsBinding() throws {
        let sealer = try Self.sealer("v1:\(Self.keyV1)")
        let sealed = try sealer.seal(Self.secret, boundTo: Self.binding)
        #expect(sealed.keyVersion == "v1")
        #expect(!sealed.storedBytes.contains(subsequence: Array("sk_live".utf8)))
        let stored = try SealedSecret(storedBytes: sealed.storedBytes)
        #expect(stored == sealed)
        #expect(try sealer.open(stored, boundTo: Self.binding) == Self.secret)
    }

    @Test func twoSealsOfOneSecretDiffer() throws {
        let sealer = try Self.sealer("v1:\(Self.keyV1)")
        #expect(try sealer.seal(Self.secret, boundTo: Self.binding) != sealer.seal(Self.secret, boundTo: Self.binding))
    }

    @Test(arguments: [
        SecretBinding.upstreamCredential(account: UUID(), server: SecretSealerTests.server, field: "credentials"),
        SecretBinding.upstreamCredential(account: SecretSealerTests.account, server: UUID(), field: "credentials"),
        SecretBinding.upstreamCredential(account: SecretSealerTests.account, server: SecretSealerTests.server, field: "headers"),
    ])
    func secretCopiedToAnotherRowDoesNotOpen(elsewhere: SecretBinding) throws {
        let sealer = try Self.sealer("v1:\(Self.keyV1)")
        let sealed = try sealer.seal(Self.secret, boundTo: Self.binding)
        #expect(throws: SecretSealingError.authenticationFailed) { try sealer.open(sealed, boundTo: elsewhere) }
    }

    @Test func bindingIsAccountServerField() {
        #expect(String(decoding: Self.binding.additionalData, as: UTF8.self)
            == "6f9619ff-8b86-d011-b42d-00c04fc964ff|11111111-2222-3333-4444-555555555555|credentials")
    }

    @Test func tamperedCiphertextDoesNotOpen() throws {
        let sealer = try Self.sealer("v1:\(Self.keyV1)")
        let sealed = try sealer.seal(Self.secret, boundTo: Self.binding)
        for index in [0, 12, sealed.box.count - 1] {
            var box = sealed.box
            box[index] ^= 0x01
            let tampered = SealedSecret(keyVersion: "v1", box: box)
            #expect(throws: SecretSealingError.authenticationFailed) { try sealer.open(tampered, boundTo: Self.binding) }
        }
    }

    @Test func truncatedStoredBytesAreMalformed() throws {
        let sealer = try Self.sealer("v1:\(Self.keyV1)")
        let stored = try sealer.seal(Self.secret, boundTo: Self.binding).storedBytes
        #expect(throws: SecretSealingError.malformed) { try SealedSecret(storedBytes: Array(stored.prefix(20))) }
        #expect(throws: SecretSealingError.malformed) { try SealedSecret(storedBytes: []) }
        #expect(throws: SecretSealingError.malformed) { try SealedSecret(storedBytes: [0] + stored.dropFirst()) }
    }

    @Test func rotationKeepsOldRowsReadableAndSealsWithTheNewKey() throws {
        let before = try Self.sealer("v1:\(Self.keyV1)")
        let oldRow = try before.seal(Self.secret, boundTo: Self.binding)

        let after = try Self.sealer("v2:\(Self.keyV2),v1:\(Self.keyV1)")
        #expect(try after.open(oldRow, boundTo: Self.binding) == Self.secret)
        let newRow = try after.seal(Self.secret, boundTo: Self.binding)
        #expect(newRow.keyVersion == "v2")
        #expect(try after.open(newRow, boundTo: Self.binding) == Self.secret)
    }

    @Test func unknownKeyVersionSaysWhichVersionIsMissing() throws {
        let old = try Self.sealer("v1:\(Self.keyV1)").seal(Self.secret, boundTo: Self.binding)
        let withoutV1 = try Self.sealer("v2:\(Self.keyV2)")
        #expect(throws: SecretSealingError.unknownKeyVersion("v1")) { try withoutV1.open(old, boundTo: Self.binding) }
        #expect(SecretSealingError.unknownKeyVersion("v1").description.contains("key version v1"))
    }

    @Test func sameVersionNameWithOtherKeyBytesDoesNotOpen() throws {
        let sealed = try Self.sealer("v1:\(Self.keyV1)").seal(Self.secret, boundTo: Self.binding)
        #expect(throws: SecretSealingError.authenticationFailed) {
            try Self.sealer("v1:\(Self.keyV2)").open(sealed, boundTo: Self.binding)
        }
    }

    @Test func purposesHaveIndependentSubkeys() throws {
        let ring = try SecretKeyRing(parsing: "v2:\(Self.keyV2),v1:\(Self.keyV1)")
        let sessions = ring.derived(for: .sessionSealing)
        let fingerprints = ring.derived(for: .approvalFingerprint)
        #expect(sessions.keys.map(\.version) == ["v2", "v1"])
        #expect(sessions.active.key != fingerprints.active.key)
        #expect(sessions.active.key != ring.active.key)
        // Deterministic: every worker derives the same subkey from the same operator key.
        #expect(ring.derived(for: .sessionSealing).active.key == sessions.active.key)

        let sealed = try SecretSealer(keyRing: ring, purpose: .sessionSealing).seal(Self.secret, boundTo: Self.binding)
        #expect(throws: SecretSealingError.authenticationFailed) {
            try SecretSealer(keyRing: ring, purpose: .upstreamCredentials).open(sealed, boundTo: Self.binding)
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(subsequence: [UInt8]) -> Bool {
        guard subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { self[$0..<($0 + subsequence.count)].elementsEqual(subsequence) }
    }
}
