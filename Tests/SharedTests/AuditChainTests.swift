import Crypto
import Foundation
import Testing

@testable import Shared

struct AuditChainTests {
    private static let account = UUID(uuidString: "6F1D2C1A-0000-4000-8000-000000000001")!

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
        #expect(text.hasPrefix(#"{"account_id":"6f1d2c1a-0000-4000-8000-000000000001","approval_id":null,"argument_keys":["gpus","podId"],"arguments":{"gpus":2.5,"podId":"p1"},"#))
        #expect(text.contains(#""time":"2026-01-01T00:00:00.123456Z""#))
        #expect(text.contains(#""gateway_latency_ms":1.25,"#))
        #expect(text.hasSuffix(#""upstream_status":null,"worker_id":null}"#))
        #expect(AuditChain.canonicalObject(of: Self.event(seq: 1)).objectValue?.count == 34)
    }

    @Test func hashIsSHA256OfThePreviousHashFollowedByTheCanonicalEvent() {
        let event = Self.event(seq: 1)
        let expected = Array(SHA256.hash(data: AuditChain.genesisHash + AuditChain.canonicalBytes(of: event)))
        #expect(AuditChain.hash(previous: AuditChain.genesisHash, event: event) == expected)
    }

    @Test func numbersAreHashedByValueNotSpelling() {
        let cases = [("1E+2", "100"), ("1.50", "1.5"), ("-0", "0"), ("0.0", "0"), ("1.5e-3", "0.0015"), ("-12e-1", "-1.2"),
                     ("120", "120"), ("0.001", "0.001"), ("123456789012345678901", "123456789012345678901")]
        for (literal, plain) in cases {
            #expect(AuditChain.plainDecimal(literal) == plain, "\(literal)")
        }
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
            hashes.append(AuditChain.hash(previous: previous, event: event))
            previous = hashes.last!
        }
        func walk(_ indices: [Int]) -> AuditChainWalk.BrokenLink? {
            var walk = AuditChainWalk()
            for index in indices {
                if let broken = walk.check(events[index], prevHash: index == 0 ? AuditChain.genesisHash : hashes[index - 1], hash: hashes[index]) {
                    return broken
                }
            }
            return walk.finish(headSeq: 4)
        }
        #expect(walk([0, 1, 2, 3]) == nil)
        #expect(walk([0, 2, 3])?.reason == .missingEvent)
        #expect(walk([0, 1, 2])?.reason == .missingTail)
        events[2].message = "edited"
        #expect(walk([0, 1, 2, 3]).map { ($0.reason, $0.event?.seq) } ?? (.missingTail, nil) == (.hashMismatch, 3))
    }
}
