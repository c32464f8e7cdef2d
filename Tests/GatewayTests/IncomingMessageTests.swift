import Shared
import Testing

@testable import Gateway

/// design.md §5.2 and 5.9: what the gateway answers itself before any policy is consulted.
struct IncomingMessageTests {
    static func read(_ text: String, version: String? = "2025-11-25", routing: IncomingMessage.RoutingHeaders = .init(),
                     limits: IncomingMessage.Limits = .init()) -> Result<IncomingMessage, MessageRejection> {
        IncomingMessage.read(Array(text.utf8), protocolVersion: version, routing: routing, limits: limits)
    }

    static func rejection(_ result: Result<IncomingMessage, MessageRejection>) -> MessageRejection? {
        if case .failure(let rejection) = result { return rejection }
        return nil
    }

    @Test func aToolsCallIsReadAsARequest() throws {
        guard case .success(.single(.request(let request))) = Self.read(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"stop-pod","arguments":{"podId":"p1"}}}"#)
        else { Issue.record("expected a request"); return }
        #expect(request.method == "tools/call")
        #expect(request.id == 7)
    }

    @Test(arguments: [
        (#"{"jsonrpc":"2.0","id":1,"method":"x""#, -32700),                                   // truncated
        ("\u{FF}", -32700),                                                                  // not UTF-8 / not JSON
        (#"{"jsonrpc":"2.0","id":1,"method":"a","method":"b"}"#, -32600),                    // duplicate key
        (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), -32600),     // deeper than 64
        (#"{"id":1,"method":"tools/list"}"#, -32600),                                        // no jsonrpc member
        (#""just a string""#, -32600),
        (#"{"jsonrpc":"2.0","id":{"x":1},"method":"tools/list"}"#, -32600),                  // id is an object
    ])
    func badBodiesAreAnsweredWithTheirJSONRPCCode(body: String, code: Int) {
        let rejection = Self.rejection(Self.read(body))
        #expect(rejection?.error.code == code)
        #expect(rejection?.httpStatus == 400)
    }

    @Test func invalidUTF8BytesAreAParseError() {
        let rejection = Self.rejection(IncomingMessage.read([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], protocolVersion: nil))
        #expect(rejection?.error.code == -32700)
    }

    @Test func aBodyOverTheLimitIs413() {
        let rejection = Self.rejection(Self.read(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, limits: .init(maxBodyBytes: 16)))
        #expect(rejection?.httpStatus == 413)
    }

    @Test func batchesAreJudgedElementByElementOnlyIn20250326() {
        let batch = #"[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2},{"jsonrpc":"2.0","method":"notifications/initialized"}]"#
        guard case .success(.batch(let elements)) = Self.read(batch, version: "2025-03-26") else { Issue.record("expected a batch"); return }
        #expect(elements.count == 3)
        guard case .failure(let bad) = elements[1] else { Issue.record("the second element is not a message"); return }
        #expect(bad.error.code == -32600)
        #expect(bad.id == 2)
        #expect(Self.rejection(Self.read(batch, version: "2025-06-18"))?.error.code == -32600)
        #expect(Self.rejection(Self.read("[]", version: "2025-03-26"))?.error.code == -32600)
    }

    @Test func routingHeadersThatDisagreeWithTheBodyAreRejectedWith32020() {
        let body = #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"stop-pod","arguments":{}}}"#
        let agreeing = Self.read(body, version: "2026-07-28", routing: .init(method: "tools/call", name: "stop-pod"))
        guard case .success = agreeing else { Issue.record("agreeing headers must pass"); return }
        let wrongName = Self.rejection(Self.read(body, version: "2026-07-28", routing: .init(method: "tools/call", name: "list-pods")))
        #expect(wrongName?.error.code == -32020)
        #expect(wrongName?.httpStatus == 400)
        #expect(wrongName?.id == 3)
        let wrongMethod = Self.rejection(Self.read(body, version: "2026-07-28", routing: .init(method: "tools/list", name: nil)))
        #expect(wrongMethod?.error.code == -32020)
        // Earlier protocol versions are checked as well: AdversarialIncomingMessageTests (issue 10 item 23).
    }
}
