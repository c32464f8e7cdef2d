import Shared
import Testing

@testable import Gateway

/// Issue 10 items 3, 5 and 23: what a hostile agent's body cannot slip past the gateway's reading.
struct AdversarialIncomingMessageTests {
    static func rejection(_ result: Result<IncomingMessage, MessageRejection>) -> MessageRejection? {
        if case .failure(let rejection) = result { return rejection }
        return nil
    }

    static func batch(of count: Int) -> [UInt8] {
        let element = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
        return Array(("[" + Array(repeating: element, count: count).joined(separator: ",") + "]").utf8)
    }

    @Test func aBatchBeyondTheCapIsRefusedWhole() {
        let limits = IncomingMessage.Limits(maxBatchElements: 100)
        guard case .success(.batch(let elements)) = IncomingMessage.read(Self.batch(of: 100), protocolVersion: "2025-03-26", limits: limits)
        else { Issue.record("a batch at the cap is read"); return }
        #expect(elements.count == 100)
        let refused = Self.rejection(IncomingMessage.read(Self.batch(of: 101), protocolVersion: "2025-03-26", limits: limits))
        #expect(refused?.error.code == -32600)
        #expect(refused?.httpStatus == 400)
        #expect(Self.rejection(IncomingMessage.read(Self.batch(of: 3), protocolVersion: nil, limits: .init(maxBatchElements: 2))) != nil)
    }

    /// Issue 10 item 26: the parser stops where the first element beyond the cap begins, so a hostile
    /// batch of thousands of elements costs the cap's worth of parsing; what follows is never read
    /// (here bytes that are not JSON, which a whole parse would answer -32700). The answer is the
    /// one a whole parse gives a batch over the cap, in every protocol version.
    @Test func anOversizedBatchIsRefusedWithoutReadingBeyondTheCap() {
        let limits = IncomingMessage.Limits(maxBatchElements: 100)
        let wellFormed = Self.batch(of: 101)
        let truncated = Array(wellFormed.dropLast()) + Array(",".utf8) + [0xFF] + Array("not json".utf8)
        for version in ["2025-03-26", "2025-06-18", nil] {
            let whole = Self.rejection(IncomingMessage.read(wellFormed, protocolVersion: version, limits: limits))
            let cut = Self.rejection(IncomingMessage.read(truncated, protocolVersion: version, limits: limits))
            #expect(cut != nil)
            #expect(cut == whole)
        }
        #expect(Self.rejection(IncomingMessage.read(truncated, protocolVersion: "2025-03-26", limits: limits))?.error.message
            == "Invalid Request: a batch of more than 100 messages")
        #expect(Self.rejection(IncomingMessage.read(truncated, protocolVersion: "2025-06-18", limits: limits))?.error.message
            == "Invalid Request: batches are not part of MCP 2025-06-18")
        // Below the cap the whole body is read, and bytes that are not JSON are still a parse error.
        let short = Array(Self.batch(of: 3).dropLast()) + Array(",".utf8) + [0xFF]
        #expect(Self.rejection(IncomingMessage.read(short, protocolVersion: "2025-03-26", limits: limits))?.error.code == -32700)
    }

    @Test(arguments: ["tools/call", "resources/read", "prompts/get", "tools/list", "initialize", "completion/complete"])
    func aRequestMethodSentAsANotificationIsRefusedNotForwarded(method: String) {
        let body = #"{"jsonrpc":"2.0","method":"\#(method)","params":{"name":"stop-pod","uri":"file:///etc/passwd","arguments":{}}}"#
        let single = Self.rejection(IncomingMessage.read(Array(body.utf8), protocolVersion: "2025-11-25"))
        #expect(single?.error.code == -32600)
        #expect(single?.httpStatus == 400)
        guard case .success(.batch(let elements)) = IncomingMessage.read(Array("[\(body)]".utf8), protocolVersion: "2025-03-26"),
              case .failure(let element) = elements.first
        else { Issue.record("a batch element naming a request without id must be refused"); return }
        #expect(element.error.code == -32600)
    }

    @Test func realNotificationsStillPass() {
        let body = #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"#
        guard case .success(.single(.notification)) = IncomingMessage.read(Array(body.utf8), protocolVersion: "2025-11-25") else {
            Issue.record("a notification is read"); return
        }
    }

    @Test(arguments: [nil, "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"])
    func routingHeadersAreCheckedWhateverTheProtocolVersion(version: String?) {
        let body = Array(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"stop-pod","arguments":{}}}"#.utf8)
        let wrongName = Self.rejection(IncomingMessage.read(body, protocolVersion: version, routing: .init(method: "tools/call", name: "list_pods")))
        #expect(wrongName?.error.code == -32020)
        let wrongMethod = Self.rejection(IncomingMessage.read(body, protocolVersion: version, routing: .init(method: "tools/list", name: nil)))
        #expect(wrongMethod?.error.code == -32020)
        guard case .success = IncomingMessage.read(body, protocolVersion: version, routing: .init(method: "tools/call", name: "stop-pod")) else {
            Issue.record("agreeing headers pass"); return
        }
    }

    @Test func routingHeadersMustAgreeWithEveryElementOfABatch() {
        let body = Array(#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_pods"}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"stop-pod"}}]"#.utf8)
        guard case .success(.batch(let elements)) = IncomingMessage.read(
            body, protocolVersion: "2025-03-26", routing: .init(method: "tools/call", name: "list_pods"))
        else { Issue.record("a batch is read element by element"); return }
        #expect(elements.map { (try? $0.get()) == nil } == [false, true])
    }
}
