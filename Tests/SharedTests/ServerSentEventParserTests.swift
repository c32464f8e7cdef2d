import Testing
@testable import Shared

@Suite struct ServerSentEventParserTests {
    static func events(_ text: String, chunkSize: Int? = nil) throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        let bytes = Array(text.utf8)
        guard let chunkSize else { return try parser.feed(bytes) }
        var events: [ServerSentEvent] = []
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            events += try parser.feed(bytes[start..<min(start + chunkSize, bytes.count)])
        }
        return events
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func everyLineEndingWorksInAnyChunking(newline: String) throws {
        let text = ["event: message", "data: {\"a\":1}", "", ": comment", "data:second", "data:  two spaces", "", ""].joined(separator: newline)
        let expected = [
            ServerSentEvent(type: "message", data: Array(#"{"a":1}"#.utf8)),
            ServerSentEvent(type: "message", data: Array("second\n two spaces".utf8)),
        ]
        #expect(try Self.events(text) == expected)
        for size in [1, 2, 3, 7] {
            #expect(try Self.events(text, chunkSize: size) == expected, "chunks of \(size)")
        }
    }

    @Test func crlfSplitAcrossChunksIsOneLineEnd() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.feed(Array("data: a\r".utf8)).isEmpty)
        // Had the LF counted as a second (empty) line, the event would already be out.
        #expect(try parser.feed(Array("\ndata: b\r\n".utf8)).isEmpty)
        #expect(try parser.feed(Array("\r\n".utf8)) == [ServerSentEvent(data: Array("a\nb".utf8))])
    }

    @Test func eventTypeAndIDAreKept() throws {
        let events = try Self.events("id: 42\nevent: progress\ndata: x\n\ndata: y\n\n")
        #expect(events.map(\.type) == ["progress", "message"])
        #expect(events.map(\.lastEventID) == ["42", "42"])
    }

    @Test func eventWithoutDataIsNotDispatched() throws {
        #expect(try Self.events("event: ping\n\n: only a comment\n\nretry: 100\n\n").isEmpty)
    }

    @Test func emptyDataLineIsAnEventWithEmptyData() throws {
        #expect(try Self.events("data\n\n") == [ServerSentEvent(data: [])])
    }

    @Test func unfinishedEventAtEndIsDiscarded() throws {
        #expect(try Self.events("data: complete\n\ndata: cut off\n") == [ServerSentEvent(data: Array("complete".utf8))])
    }

    @Test func byteOrderMarkAtStartIsIgnored() throws {
        #expect(try Self.events("\u{FEFF}data: x\n\n") == [ServerSentEvent(data: Array("x".utf8))])
    }

    @Test func oversizedEventOrMissingDelimiterIsAnError() throws {
        var parser = ServerSentEventParser(maxEventBytes: 16)
        #expect(throws: ServerSentEventError(maxEventBytes: 16)) { try parser.feed(Array("data: 0123456789abcdef\n\n".utf8)) }
        var lines = ServerSentEventParser(maxEventBytes: 16)
        #expect(throws: ServerSentEventError.self) { try lines.feed(Array("data: 01234\ndata: 56789\ndata: abcdef\n".utf8)) }
        var noDelimiter = ServerSentEventParser(maxEventBytes: 16)
        #expect(throws: ServerSentEventError.self) { try noDelimiter.feed(Array(repeating: UInt8(ascii: "x"), count: 17)) }
    }
}
