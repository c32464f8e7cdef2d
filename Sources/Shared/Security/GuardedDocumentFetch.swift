import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
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

    /// The JSON object at `url`, which must answer 200 within `timeout` and `maxBytes`.
    public func object(at url: String, what: String) async throws(Failure) -> JSONObject {
        let pinned: PinnedUpstream
        do {
            pinned = try await addressGuard.check(url)
        } catch {
            throw Failure("The \(what) URL is refused: \(error.reason).", refused: true)
        }
        let configuration = HTTPClient.Configuration.untrustedHost(pinned, connectTimeout: TimeAmount(timeout))
        let bytes: [UInt8]
        do {
            bytes = try await HTTPClient.withHTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration) {
                [maxBytes, timeout] client in
                try await withTimeout(timeout) {
                    var request = HTTPClientRequest(url: url)
                    request.headers.add(name: "Accept", value: "application/json")
                    let response = try await client.execute(request, timeout: TimeAmount(timeout))
                    guard response.status == .ok else { throw StatusFailure(code: response.status.code) }
                    return Array(buffer: try await response.body.collect(upTo: maxBytes))
                }
            }
        } catch let error as StatusFailure {
            throw Failure("The \(what) answered HTTP \(error.code), not 200.")
        } catch is TimeoutExceeded {
            throw Failure("The \(what) did not answer within \(timeout).")
        } catch is NIOTooManyBytesError {
            throw Failure("The \(what) is larger than \(maxBytes) bytes.")
        } catch {
            // A fixed phrase, never NIO's error: it names the checked (maybe internal) address (issue 10 item 9).
            throw Failure("The \(what) could not be fetched: \(UpstreamConnectionFailure.reason(for: error)).")
        }
        guard let object = (try? JSONParser().parse(bytes))?.objectValue else {
            throw Failure("The \(what) is not a JSON object.")
        }
        return object
    }

    private struct StatusFailure: Error {
        let code: UInt
    }
}
