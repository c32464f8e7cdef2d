import Foundation
import Shared
import Testing
@testable import Gateway
import JSON

/// Issue 11 item 2 under issue 10 items 1 and 6: the binary spool record carries whatever an agent
/// sent exactly (NUL, numbers no database type holds, exact number text), and a record damaged on
/// disk is refused, never misread.
@Suite(.timeLimit(.minutes(1)))
struct AdversarialAuditSpoolRecordTests {
    @Test func hostileValuesRoundTripThroughTheBinaryRecordExactly() throws {
        var event = AuditEvent.sample(account: UUID(), index: 7)
        event.tool = "na\u{0}me\\"
        event.message = "line\u{0}two \u{1F600}"
        event.jsonrpcID = try JSONValue.parse("123456789012345678901234567890.000")
        event.arguments = try JSONValue.parse(#"{"n":1e2000000000,"m":1e-20000,"z":-0.0,"s":"\u0000","k\u0000":[1E+2]}"#)
        event.result = try JSONValue.parse("null")
        event.argumentKeys = ["", "\u{0}"]
        event.sessionDigest = []
        event.gatewayLatencyMs = -0.0
        event.policyVersion = Int.max
        event.bytesIn = Int64.min

        let payload = event.binarySpoolPayload()
        let read = try AuditEvent(binarySpoolPayload: payload[...])
        #expect(read == event)
        #expect(read.arguments?.serializedBytes() == event.arguments?.serializedBytes())
        #expect(read.jsonrpcID?.serializedBytes() == Array("123456789012345678901234567890.000".utf8))
        #expect(read.binarySpoolPayload() == payload)
    }

    @Test func aDamagedBinaryPayloadIsRefusedAsCorrupt() throws {
        let payload = AuditEvent.sample(account: UUID(), index: 1).binarySpoolPayload()
        #expect(throws: AuditSpoolError.corruptRecord) { try AuditEvent(binarySpoolPayload: payload.dropLast()) }
        #expect(throws: AuditSpoolError.corruptRecord) { try AuditEvent(binarySpoolPayload: (payload + [0])[...]) }
        // A field bit beyond the fields this gateway knows (the presence word follows id, time,
        // account, and the kind and decision texts).
        let kindLength = 16 + 8 + 16
        let decisionLength = kindLength + 4 + Int(payload[kindLength])
        let present = decisionLength + 4 + Int(payload[decisionLength])
        var unknownField = payload
        unknownField[present + 3] |= 0x80
        #expect(throws: AuditSpoolError.corruptRecord) { try AuditEvent(binarySpoolPayload: unknownField[...]) }
        // Text that is not UTF-8.
        var notUTF8 = payload
        notUTF8[kindLength + 4] = 0xFF
        #expect(throws: AuditSpoolError.corruptRecord) { try AuditEvent(binarySpoolPayload: notUTF8[...]) }
    }

    @Test func zeroBytesAreNotARecordInTheBinaryFormat() {
        let zeros = [UInt8](repeating: 0, count: 64)
        #expect(AuditSpoolRecord.decodeRecords(in: zeros[...], format: .binary).payloads.isEmpty)
        // The JSON format (before issue 11) read them as empty records; its segments were never preallocated.
        #expect(!AuditSpoolRecord.decodeRecords(in: zeros[...], format: .json).payloads.isEmpty)
    }
}
