import Foundation
import Hummingbird
import JSON
import Shared

/// A successful JSON answer. Bodies are built as `JSONValue` with explicit snake_case names, so
/// the wire format is written down next to each model rather than derived from Swift names.
struct JSONResponse: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    let body: JSONValue

    init(status: HTTPResponse.Status = .ok, _ body: JSONValue) {
        self.status = status
        self.body = body
    }

    init(status: HTTPResponse.Status = .ok, _ model: some JSONRepresentable) {
        self.init(status: status, model.json)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body.serializedBytes()))
        )
    }
}

/// A model as the API shows it. Implementations leave out every secret (hashes, tokens).
protocol JSONRepresentable: Sendable {
    var json: JSONValue { get }
}

extension JSONValue {
    /// RFC 3339 in UTC with milliseconds, e.g. `2026-01-31T12:00:00.123Z`.
    static func timestamp(_ date: Date) -> JSONValue {
        .string(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    static func timestamp(_ date: Date?) -> JSONValue {
        date.map(timestamp) ?? .null
    }

    static func string(_ text: String?) -> JSONValue {
        text.map(JSONValue.string) ?? .null
    }

    static func uuid(_ id: UUID) -> JSONValue {
        .string(id.uuidString.lowercased())
    }

    static func uuid(_ id: UUID?) -> JSONValue {
        id.map(uuid) ?? .null
    }
}

extension Response {
    /// 204: the answer to a successful DELETE.
    static var noContent: Response { Response(status: .noContent) }
}
