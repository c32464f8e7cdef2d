import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
@testable import Shared
import JSON

/// A request as the fake upstream saw it, for assertions about what the client sent.
struct RecordedRequest: Sendable {
    let method: HTTPRequest.Method
    let path: String
    /// The HTTP/1 `Host` header (HTTP types keep it as the authority, not among the fields).
    let authority: String?
    let headers: HTTPFields
    let body: JSONValue?

    func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
    var jsonRPCMethod: String? { body?["method"]?.stringValue }
}

/// What the fake upstream answers: status, headers and a body written in chunks, optionally
/// after a pause (to test timeouts on the head and on the body).
struct FakeAnswer: Sendable {
    var status: HTTPResponse.Status = .ok
    var headers: [(String, String)] = []
    var chunks: [String] = []
    var delayBeforeHead: Duration?
    var delayBeforeBody: Duration?

    static func json(_ value: JSONValue, headers: [(String, String)] = []) -> FakeAnswer {
        FakeAnswer(headers: [("Content-Type", "application/json")] + headers, chunks: [value.serialized()])
    }

    /// An event stream; `chunks` are written as given so tests control where the bytes split.
    static func eventStream(_ chunks: [String], headers: [(String, String)] = []) -> FakeAnswer {
        FakeAnswer(headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")] + headers, chunks: chunks)
    }

    static func raw(_ status: HTTPResponse.Status, contentType: String? = nil, _ body: String = "", headers: [(String, String)] = []) -> FakeAnswer {
        FakeAnswer(status: status, headers: (contentType.map { [("Content-Type", $0)] } ?? []) + headers, chunks: body.isEmpty ? [] : [body])
    }
}

/// Shared between the server's handler tasks and the test.
private final class RequestLog: Sendable {
    let entries = Mutex<[RecordedRequest]>([])
}

/// An HTTP server on a loopback port that records every request and answers with `handler`.
enum FakeMCPUpstream {
    static func run<Value: Sendable>(
        _ handler: @escaping @Sendable (RecordedRequest) async throws -> FakeAnswer,
        _ body: (_ port: Int, _ requests: @Sendable () -> [RecordedRequest]) async throws -> Value
    ) async throws -> Value {
        let log = RequestLog()
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let recorded = RecordedRequest(
                method: request.method,
                path: request.uri.path,
                authority: request.head.authority,
                headers: request.headers,
                body: bytes.readableBytes == 0 ? nil : try? JSONValue.parse(Array(bytes.readableBytesView))
            )
            log.entries.withLock { $0.append(recorded) }
            return try await response(for: try await handler(recorded))
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            // Cancelling the server at the end of a test makes it log shutdown "errors".
            logger: Logger(label: "test.fake-upstream") { _ in SwiftLogNoOpLogHandler() }
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let value = try await body(port) { log.entries.withLock { $0 } }
            group.cancelAll()
            return value
        }
    }

    private static func response(for answer: FakeAnswer) async throws -> Response {
        if let delay = answer.delayBeforeHead { try await Task.sleep(for: delay) }
        var headers = HTTPFields()
        for (name, value) in answer.headers { headers.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        let body = ResponseBody { writer in
            if let delay = answer.delayBeforeBody { try await Task.sleep(for: delay) }
            for chunk in answer.chunks { try await writer.write(ByteBuffer(string: chunk)) }
            try await writer.finish(nil)
        }
        return Response(status: answer.status, headers: headers, body: body)
    }
}
