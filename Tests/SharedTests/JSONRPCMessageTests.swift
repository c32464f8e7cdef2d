import Testing
@testable import JSON
@testable import Shared

@Suite struct JSONRPCMessageTests {
    static func message(_ text: String) throws -> JSONRPCMessage {
        try JSONRPCMessage(JSONValue.parse(text))
    }

    @Test func requestNotificationAndResponsesAreRecognised() throws {
        #expect(try Self.message(#"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}}"#)
            == .request(JSONRPCRequest(id: 7, method: "tools/list", params: [:])))
        #expect(try Self.message(#"{"jsonrpc":"2.0","id":"a-1","method":"ping"}"#) == .request(JSONRPCRequest(id: "a-1", method: "ping")))
        #expect(try Self.message(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            == .notification(JSONRPCNotification(method: "notifications/initialized")))
        #expect(try Self.message(#"{"jsonrpc":"2.0","id":7,"result":{"tools":[]}}"#)
            == .response(JSONRPCResponse(id: 7, outcome: .result(["tools": []]))))
        #expect(try Self.message(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#)
            == .response(JSONRPCResponse(id: nil, outcome: .error(JSONRPCErrorObject(code: -32700, message: "Parse error")))))
    }

    @Test func idsKeepTheirWrittenForm() throws {
        let message = try Self.message(#"{"jsonrpc":"2.0","id":12345678901234567890,"method":"x"}"#)
        guard case .request(let request) = message else { Issue.record("not a request"); return }
        #expect(request.id.description == "12345678901234567890")
        #expect(request.id != JSONRPCID.number(JSONNumber(validatedText: "1.2345678901234567e19")))
        #expect(message.jsonValue.serialized() == #"{"jsonrpc":"2.0","id":12345678901234567890,"method":"x"}"#)
    }

    @Test func serializationRoundTrips() throws {
        let texts = [
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"n":1.50}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#,
            #"{"jsonrpc":"2.0","id":"x","result":{}}"#,
            #"{"jsonrpc":"2.0","id":2,"error":{"code":-32602,"message":"Unknown tool: a","data":{"k":1}}}"#,
        ]
        for text in texts { #expect(try Self.message(text).jsonValue.serialized() == text) }
    }

    @Test(arguments: [
        "[]", #"{"id":1,"method":"x"}"#, #"{"jsonrpc":"1.0","id":1,"method":"x"}"#, #"{"jsonrpc":"2.0","id":true,"method":"x"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":5}"#, #"{"jsonrpc":"2.0","id":1,"method":"x","params":"s"}"#,
        #"{"jsonrpc":"2.0","id":1}"#, #"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"m"}}"#,
        #"{"jsonrpc":"2.0","id":null,"result":{}}"#, #"{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}}"#,
        #"{"jsonrpc":"2.0","id":1,"error":{"code":1.5,"message":"m"}}"#,
    ])
    func notAJSONRPCMessage(text: String) {
        #expect(throws: JSONRPCMessageError.self) { try Self.message(text) }
    }
}
