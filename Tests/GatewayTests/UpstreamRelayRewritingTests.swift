import Foundation
import NIOCore
import Shared
import Testing

@testable import Gateway
import JSON

/// How one upstream message goes on to the agent: parsed always (issue 10 item 7), re-serialized
/// only when the rewrite changed it or gateway answers are merged in.
@Suite
struct UpstreamRelayRewritingTests {
    /// Renames every tool list's first tool, like a filter that changes a list; leaves other messages.
    static let plan = UpstreamRelay.Plan(
        rewrite: { message in
            guard message["result"]?["tools"] != nil else { return nil }
            return ["jsonrpc": "2.0", "id": message["id"] ?? .null, "result": ["tools": []]]
        },
        requestID: 1, capturesAnswer: true)

    @Test func aMessageTheRewriteLeavesAloneGoesOnAsTheUpstreamsOwnBytes() throws {
        // Spacing, escapes and key order a re-serialization would change.
        let bytes = Array(#"{ "result" : {"content":[{"type":"text","text":"caf\u00e9 \/ 1.50"}]}, "id":1 ,"jsonrpc":"2.0"}"#.utf8)
        let message = try UpstreamRelay.rewrittenMessage(bytes, plan: Self.plan)
        #expect(message.bytes == bytes)
        #expect(message.answer?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue == "café / 1.50")
    }

    @Test func aBatchAnswerWithoutAToolListGoesOnAsTheUpstreamsOwnBytes() throws {
        let bytes = Array(#"[{"jsonrpc":"2.0","id":1,"result":{}} , {"jsonrpc":"2.0","id":2,"result":{"a":"\u0041"}}]"#.utf8)
        #expect(try UpstreamRelay.rewrittenMessage(bytes, plan: Self.plan).bytes == bytes)
    }

    @Test func aToolListIsRewrittenInsideABatchAnswer() throws {
        let bytes = Array(#"[{"jsonrpc":"2.0","id":1,"result":{}}, {"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"stop-pod"}]}}]"#.utf8)
        let message = try UpstreamRelay.rewrittenMessage(bytes, plan: Self.plan)
        let value = try JSONParser().parse(message.bytes)
        #expect(value.arrayValue?[0]["result"] == JSONValue.object(JSONObject()))
        #expect(value.arrayValue?[1]["result"]?["tools"] == JSONValue.array([]))
    }

    @Test func gatewayAnswersAreMergedInFrontOfTheUpstreamsAnswer() throws {
        var plan = Self.plan
        plan.gatewayAnswers = [["jsonrpc": "2.0", "id": 7, "error": ["code": -32001, "message": "denied"]]]
        let message = try UpstreamRelay.rewrittenMessage(Array(#"{"jsonrpc":"2.0","id":1,"result":{}}"#.utf8), plan: plan)
        let value = try JSONParser().parse(message.bytes)
        #expect(value.arrayValue?.count == 2)
        #expect(value.arrayValue?[0]["id"] == 7)
    }

    /// A JSON answer relayed as an SSE event (a call held for approval) keeps its message even when
    /// the upstream's whitespace has CRs, which would otherwise end the event's `data:` line.
    @Test func aJSONAnswerWithCRLFWhitespaceSurvivesAsAnSSEEvent() throws {
        let bytes = Array("{\r\n  \"jsonrpc\": \"2.0\",\r\n  \"id\": 1,\r  \"result\": {\"text\": \"a\\r\\nb\"}\r\n}".utf8)
        let encoded = ServerSentEvent(parsedJSON: bytes).encoded()
        var parser = ServerSentEventParser()
        let events = try parser.feed(encoded.readableBytesView)
        #expect(events.count == 1)
        #expect(try JSONParser().parse(try #require(events.first).data) == JSONParser().parse(bytes))
    }

    @Test func anAnswerTheStrictParserRefusesIsNotPassedOn() {
        #expect(throws: JSONParseError.self) {
            try UpstreamRelay.rewrittenMessage(Array(#"{"id":1,"id":2,"result":{"tools":[]}}"#.utf8), plan: Self.plan)
        }
    }
}
