import Foundation
import Testing

@testable import Shared
import JSON

/// Issue 10 item 1: whatever JSON the parser accepts is hashed as written, in bounded time and
/// memory, and every string survives the text columns.
struct AdversarialAuditChainTests {
    @Test func hugeExponentIsHashedAsWrittenNeverExpanded() throws {
        var event = AuditEvent(id: UUID(), timeMicroseconds: 0, accountID: UUID(), decision: "deny", seq: 1)
        event.jsonrpcID = try JSONValue.parse("1e2000000000")
        event.arguments = try JSONValue.parse(#"{"a":1E-2000000000,"b":-0.0e+999999999}"#)
        let canonical = String(decoding: AuditChain.canonicalBytes(of: event), as: UTF8.self)
        #expect(canonical.utf8.count < 2_000)
        #expect(canonical.contains(#""jsonrpc_id":1e2000000000,"#))
        #expect(canonical.contains(#""arguments":{"a":1E-2000000000,"b":-0.0e+999999999}"#))
    }

    @Test(arguments: ["", "plain", "nul\u{0}inside", "\u{0}", "\u{0}\u{0}", "back\\slash", "\\0 is not NUL", "ends with \\",
                      "\\\\\u{0}\\", "é\u{0}🙂"])
    func storedTextRoundTripsNULAndBackslashes(original: String) {
        let stored = AuditStoredText.stored(original)
        #expect(!stored.utf8.contains(0))
        #expect(AuditStoredText.original(stored) == original)
    }

    @Test func storedTextLeavesOrdinaryStringsUnchanged() {
        #expect(AuditStoredText.stored("tools/call") == "tools/call")
        #expect(AuditStoredText.stored("create_issue") == "create_issue")
    }
}
