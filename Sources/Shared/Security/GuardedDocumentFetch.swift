import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import NIOHTTP1
import NIOPosix

/// GETs a small JSON document from a URL a tenant entered (an identity provider's discovery
/// document and JWKS, issue 14 item 4) with the upstream SSRF guard's protections: the URL is
/// checked every time and the socket goes to the checked address (`PinnedUpstream`), redirects
/// are not followed (a redirect could lead anywhere the check never saw), the body is capped,
/// and the whole exchange, body included, is bounded in time.
public struct GuardedDocumentFetch: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        /// One sentence the tenant can act on; never the document's content.
        public let description: String
        /// The URL did not pass the guard (as opposed to a fetch that failed).
        public let refused: Bool

        public init(_ description: String, refused: Bool = false) {
            self.description = description
            self.refused = refused
        }
    }

    public private(set) var addressGuard: UpstreamAddressGuard
    public var maxBytes: Int
    public var timeout: Duration

    public init(addressGuard: UpstreamAddressGuard, maxBytes: Int = 256 * 1024, timeout: Duration = .seconds(10)) {
        self.addressGuard = addressGuard
        self.maxBytes = maxBytes
        self.timeout = timeout
    }

    /// The same fetch with an account's operator-granted ranges allowed as well.
    public func allowing(cidrs: [String]) -> GuardedDocumentFetch {
        var widened = self
        widened.addressGuard = addressGuard.allowing(cidrs: cidrs)
        return widened
    }

    /// A request to send through the guard: a GET, or a POST of a form or a JSON body (the OAuth
    /// exchanges with an upstream's authorization server, issue 14 item 5).
    public struct Request: Sendable {
        public var method: HTTPMethod = .GET
        public var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        public var body: [UInt8]?

        public init() {}

        /// `application/x-www-form-urlencoded` (RFC 6749 §4.1.3 and §6).
        public static func form(_ fields: [(String, String)]) -> Request {
            var request = Request()
            request.method = .POST
            request.headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            request.body = Array(FormEncoding.encode(fields).utf8)
            return request
        }

        public static func json(_ value: JSONValue) -> Request {
            var request = Request()
            request.method = .POST
            request.headers.append(("Content-Type", "application/json"))
            request.body = value.serializedBytes()
            return request
        }
    }

    /// What came back: any status, the headers, and the body (at most `maxBytes`).
    public struct Answer: Sendable {
        public let status: UInt
        public let headers: HTTPHeaders
        public let body: [UInt8]

        /// The body as a JSON object, or nil when it is not one.
        public var object: JSONObject? { (try? JSONParser().parse(body))?.objectValue }
    }

    /// The JSON object at `url`, which must answer 200 within `timeout` and `maxBytes`.
    public func object(at url: String, what: String) async throws(Failure) -> JSONObject {
        let answer = try await send(Request(), to: url, what: what)
        guard answer.status == 200 else { throw Failure("The \(what) answered HTTP \(answer.status), not 200.") }
        guard let object = answer.object else { throw Failure("The \(what) is not a JSON object.") }
        return object
    }

    /// Sends `request` to `url` and returns whatever status it answers, within `timeout` and
    /// `maxBytes`; a redirect is an answer like any other (never followed).
    public func send(_ request: Request, to url: String, what: String) async throws(Failure) -> Answer {
        let pinned: PinnedUpstream
        do {
            pinned = try await addressGuard.check(url)
        } catch {
            throw Failure("The \(what) URL is refused: \(error.reason).", refused: true)
        }
        let configuration = HTTPClient.Configuration.untrustedHost(pinned, connectTimeout: TimeAmount(timeout))
        do {
            return try await HTTPClient.withHTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration) {
                [maxBytes, timeout] client in
                try await withTimeout(timeout) {
                    var outgoing = HTTPClientRequest(url: url)
                    outgoing.method = request.method
                    for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
                    if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
                    let response = try await client.execute(outgoing, timeout: TimeAmount(timeout))
                    let body = Array(buffer: try await response.body.collect(upTo: maxBytes))
                    return Answer(status: response.status.code, headers: response.headers, body: body)
                }
            }
        } catch is TimeoutExceeded {
            throw Failure("The \(what) did not answer within \(timeout).")
        } catch is NIOTooManyBytesError {
            throw Failure("The \(what) is larger than \(maxBytes) bytes.")
        } catch {
            // A fixed phrase, never NIO's error: it names the checked (maybe internal) address (issue 10 item 9).
            throw Failure("The \(what) could not be fetched: \(UpstreamConnectionFailure.reason(for: error)).")
        }
    }
}
