import Foundation
import Hummingbird
import JSON
import Shared

/// Every error the admin API answers with: an RFC 9457 `application/problem+json` document.
///
/// Handlers throw one of the constructors below; `ProblemMiddleware` turns anything else
/// (Hummingbird's own `HTTPError`s, unexpected failures) into one of these, so clients only ever
/// see this shape.
struct ProblemError: HTTPResponseError, Sendable {
    /// One rejected member of a request body, located by a JSON Pointer (RFC 6901).
    struct FieldError: Sendable, Equatable {
        let pointer: String
        let message: String
    }

    let status: HTTPResponse.Status
    /// A human-readable explanation of this occurrence. Never SQL, tokens or passwords.
    let detail: String
    var errors: [FieldError] = []
    var headers: HTTPFields = [:]

    var document: JSONValue {
        var object = JSONObject([("title", .string(status.reasonPhrase)), ("status", .number(JSONNumber(status.code))), ("detail", .string(detail))])
        if !errors.isEmpty {
            object["errors"] = .array(errors.map { ["pointer": .string($0.pointer), "message": .string($0.message)] })
        }
        return .object(object)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document.serializedBytes())))
    }
}

extension ProblemError {
    static func badRequest(_ detail: String) -> ProblemError {
        ProblemError(status: .badRequest, detail: detail)
    }

    /// A body that parsed but broke the endpoint's rules: every problem at once, each at its pointer.
    static func invalidFields(_ errors: [FieldError]) -> ProblemError {
        ProblemError(status: .badRequest, detail: "The request body is invalid.", errors: errors)
    }

    /// RFC 6750 section 3: a missing or unusable bearer token is answered with a challenge.
    static func unauthorized(_ detail: String = "A valid API key is required: Authorization: Bearer pcs_ak_...") -> ProblemError {
        ProblemError(status: .unauthorized, detail: detail, headers: [.wwwAuthenticate: "Bearer"])
    }

    static func forbidden(_ detail: String) -> ProblemError {
        ProblemError(status: .forbidden, detail: detail)
    }

    /// Also the answer for another account's objects, so their existence is never revealed.
    static func notFound(_ what: String) -> ProblemError {
        ProblemError(status: .notFound, detail: "\(what) not found.")
    }

    static func conflict(_ detail: String) -> ProblemError {
        ProblemError(status: .conflict, detail: detail)
    }

    static func tooManyRequests(retryAfter seconds: Int, from subject: String = "this address") -> ProblemError {
        ProblemError(
            status: .tooManyRequests,
            detail: "Too many requests from \(subject); retry in \(seconds) s.",
            headers: [.retryAfter: String(seconds)]
        )
    }

    /// A limit of the installation that is full right now (concurrent password hashing): retry soon.
    static func busy(_ detail: String, retryAfter seconds: Int = 1) -> ProblemError {
        ProblemError(status: .serviceUnavailable, detail: detail, headers: [.retryAfter: String(seconds)])
    }

    /// A per-account bound (issue 10 item 15) that the request would exceed.
    static func limitReached(_ detail: String) -> ProblemError {
        ProblemError(status: .conflict, detail: detail)
    }

    /// Sealing a credential needs `PORTCULLIS_SECRET_KEYS`, which the operator has not set.
    static let noSecretKeys = ProblemError(
        status: .serviceUnavailable, detail: "Upstream credentials cannot be stored: the operator has not set PORTCULLIS_SECRET_KEYS.")

    static let internalError = ProblemError(status: .internalServerError, detail: "The server could not complete the request.")
}
