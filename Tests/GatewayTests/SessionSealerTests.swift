import Foundation
import Shared
import Testing

@testable import Gateway

/// design.md §5.2: sealed session ids any worker can open; another grant's, forged or garbled ids fail.
struct SessionSealerTests {
    static func ring(_ text: String) -> SecretKeyRing {
        try! SecretKeyRing(parsing: text)
    }
    static let v1 = "v1:" + Data(repeating: 1, count: 32).base64EncodedString()
    static let v2 = "v2:" + Data(repeating: 2, count: 32).base64EncodedString()

    @Test func anyWorkerWithTheKeysOpensWhatAnotherSealed() throws {
        let grant = UUID()
        let state = SessionState(grant: grant, upstreamSessionID: "77706d8d121d417dafeeed7a9213e848", protocolVersion: "2025-11-25")
        let id = try SessionSealer(keyRing: Self.ring(Self.v1)).seal(state)
        #expect(id.allSatisfy { $0.isASCII && !$0.isWhitespace && $0 != "=" && $0 != "/" && $0 != "+" })
        #expect(SessionSealer(keyRing: Self.ring(Self.v1)).open(id, for: grant) == state)
        // After a key rotation (new active key first), ids sealed under the old key still open.
        #expect(SessionSealer(keyRing: Self.ring("\(Self.v2),\(Self.v1)")).open(id, for: grant) == state)
    }

    @Test func anIdSealedForAnotherGrantDoesNotOpen() throws {
        let sealer = SessionSealer(keyRing: Self.ring(Self.v1))
        let id = try sealer.seal(SessionState(grant: UUID(), upstreamSessionID: nil, protocolVersion: "2025-06-18"))
        #expect(sealer.open(id, for: UUID()) == nil)
    }

    @Test(arguments: ["", "not-base64!", "AAAA", String(repeating: "A", count: 5000), "=="])
    func garbageDoesNotOpen(id: String) {
        #expect(SessionSealer(keyRing: Self.ring(Self.v1)).open(id, for: UUID()) == nil)
    }

    @Test func aTamperedOrForeignKeyIdDoesNotOpen() throws {
        let grant = UUID()
        let id = try SessionSealer(keyRing: Self.ring(Self.v1)).seal(SessionState(grant: grant, upstreamSessionID: "u", protocolVersion: "v"))
        var characters = Array(id)
        characters[characters.count / 2] = characters[characters.count / 2] == "A" ? "B" : "A"
        #expect(SessionSealer(keyRing: Self.ring(Self.v1)).open(String(characters), for: grant) == nil)
        #expect(SessionSealer(keyRing: Self.ring(Self.v2)).open(id, for: grant) == nil)
    }
}
