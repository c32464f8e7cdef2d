import Foundation
import Shared
import Testing

@testable import Gateway

/// Issue 14 item 6: how the caller authenticated survives both spool formats; records written
/// before the fields existed read back without them.
struct AuditEventAuthMethodSpoolTests {
    static func event(method: String?, client: String?) -> AuditEvent {
        var event = AuditEvent(id: UUID(), timeMicroseconds: 1_767_225_600_123_456, accountID: UUID(), decision: "allow", seq: 0)
        event.method = "tools/call"
        event.approvalID = UUID()
        event.authMethod = method
        event.authClientID = client
        return event
    }

    @Test func theAuthMethodAndClientRoundTripThroughBothSpoolFormats() throws {
        for event in [Self.event(method: "oauth", client: "https://client.example/c.json"), Self.event(method: "grant_token", client: nil),
                      Self.event(method: nil, client: nil)] {
            #expect(try AuditEvent(binarySpoolPayload: ArraySlice(event.binarySpoolPayload())) == event)
            #expect(try AuditEvent(spoolPayload: ArraySlice(event.spoolPayload())) == event)
        }
    }

    @Test func aRecordWithoutTheFieldsIsTheRecordOfBefore() throws {
        let before = Self.event(method: nil, client: nil)
        let after = Self.event(method: "oauth", client: "c")
        var same = after
        same.authMethod = nil
        same.authClientID = nil
        // Unset fields add no bytes: what an older gateway wrote is what this one writes for them.
        #expect(same.binarySpoolPayload().count == before.binarySpoolPayload().count)
        #expect(after.binarySpoolPayload().count > before.binarySpoolPayload().count)
    }
}
