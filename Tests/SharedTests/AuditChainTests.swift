import Crypto
import Foundation
import Testing

@testable import JSON
@testable import Shared

struct AuditChainTests {
    private static let account = UUID(uuidString: "6F1D2C1A-0000-4000-8000-000000000001")!
    private static let keyRing = try! SecretKeyRing(parsing: "k2:" + Data(repeating: 2, count: 32).base64EncodedString()
        + ",k1:" + Data(repeating: 1, count: 32).base64EncodedString())
    private static let keys = AuditChainKeys(keyRing: keyRing)

    private static func event(seq: Int64) -> AuditEvent {
        var event = AuditEvent(
            id: UUID(uuidString: "00000000-0000-4000-8000-00000000000\(seq)")!, timeMicroseconds: 1_767_225_600_123_456,
            accountID: account, decision: "deny", seq: seq)
        event.tool = "stop-pod"
        event.code = "rate_limited"
        event.arguments = ["podId": "p1", "gpus": .number(JSONNumber(validatedText: "2.50"))]
        event.argumentKeys = ["gpus", "podId"]
        event.gatewayLatencyMs = 1.25
        return event
    }

    @Test func canonicalFormHasEveryMemberSortedWithNullsAndMicrosecondTime() {
        let text = String(decoding: AuditChain.canonicalBytes(of: Self.event(seq: 1)), as: UTF8.self)
        #expect(text.hasPrefix(#"{"account_id":"6f1d2c1a-0000-4000-8000-000000000001","approval_id":null,"argument_keys":["gpus","podId"],"arguments":{"gpus":2.50,"podId":"p1"},"#))
        #expect(text.contains(#""time":"2026-01-01T00:00:00.123456Z""#))
        #expect(text.contains(#""gateway_latency_ms":1.25,"#))
        #expect(text.hasSuffix(#""upstream_status":null,"worker_id":null}"#))
        #expect(AuditChain.canonicalObject(of: Self.event(seq: 1)).objectValue?.count == 34)
    }

    @Test func hashIsHMACOfThePreviousHashFollowedByTheCanonicalEventUnderTheActiveDerivedKey() {
        let event = Self.event(seq: 1)
        let key = Self.keyRing.derived(for: .auditChain).active.key
        let expected = Array(HMAC<SHA256>.authenticationCode(for: AuditChain.genesisHash + AuditChain.canonicalBytes(of: event), using: key))
        let link = AuditChain.link(previous: AuditChain.genesisHash, event: event, keys: Self.keys)
        #expect(link.hash == expected)
        #expect(link.keyVersion == "k2")
        #expect(link.hash != Array(SHA256.hash(data: AuditChain.genesisHash + AuditChain.canonicalBytes(of: event))))
    }

    @Test func timestampsAreUTCWithSixFractionDigitsBeforeAndAfter1970() {
        #expect(AuditChain.timestamp(microseconds: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(AuditChain.timestamp(microseconds: 951_782_400_000_001) == "2000-02-29T00:00:00.000001Z")
        #expect(AuditChain.timestamp(microseconds: -1) == "1969-12-31T23:59:59.999999Z")
    }

    @Test func walkFindsTheFirstChangedEventAndMissingOnes() {
        var events = (1...4).map { Self.event(seq: Int64($0)) }
        var hashes: [[UInt8]] = []
        var previous = AuditChain.genesisHash
        for event in events {
            hashes.append(AuditChain.link(previous: previous, event: event, keys: Self.keys).hash)
            previous = hashes.last!
        }
        func walk(_ indices: [Int], keyVersion: String = "k2") -> AuditChainWalk.BrokenLink? {
            var walk = AuditChainWalk(keys: Self.keys)
            for index in indices {
                let prevHash = index == 0 ? AuditChain.genesisHash : hashes[index - 1]
                if let broken = walk.check(events[index], prevHash: prevHash, hash: hashes[index], keyVersion: keyVersion) {
                    return broken
                }
            }
            return walk.finish(headSeq: 4)
        }
        #expect(walk([0, 1, 2, 3]) == nil)
        #expect(walk([0, 2, 3])?.reason == .missingEvent)
        #expect(walk([0, 1, 2])?.reason == .missingTail)
        // Links name the key they were made with: the older key of the ring does not verify them,
        // and a version the ring does not hold is reported as such.
        #expect(walk([0, 1, 2, 3], keyVersion: "k1")?.reason == .hashMismatch)
        #expect(walk([0, 1, 2, 3], keyVersion: "k0")?.reason == .unknownKeyVersion)
        events[2].message = "edited"
        #expect(walk([0, 1, 2, 3]).map { ($0.reason, $0.event?.seq) } ?? (.missingTail, nil) == (.hashMismatch, 3))
    }
}
