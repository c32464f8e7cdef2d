import Foundation
import JSON
import Shared
import Synchronization

/// Client ID Metadata Documents (issue 14 item 2; MCP authorization, "Client ID Metadata
/// Documents"): a client whose `client_id` is an https URL is described by the JSON document at
/// that URL. The URL is the client's, so it is fetched like an upstream (`GuardedDocumentFetch`):
/// through the SSRF guard, pinned to the checked address, without redirects, within a timeout and
/// a size cap. Documents
/// are cached for `cacheLifetime`, at most `cacheCapacity` of them.
final class ClientMetadataDocuments: Sendable {
    static let maximumBytes = 5 * 1024
    static let cacheCapacity = 1000
    static let cacheLifetime: Duration = .seconds(600)
    static let fetchTimeout: Duration = .seconds(5)

    struct Refusal: Error, CustomStringConvertible {
        let description: String

        init(description: String) {
            self.description = description
        }

        /// The fetch's sentence as a fragment, like every refusal here ("Unknown client: ….").
        init(_ failure: GuardedDocumentFetch.Failure) {
            var text = failure.description
            if text.hasSuffix(".") { text.removeLast() }
            description = text.prefix(1).lowercased() + text.dropFirst()
        }
    }

    private struct Cached {
        let client: OAuthClient
        let fetched: ContinuousClock.Instant
    }

    private let addressGuard: UpstreamAddressGuard
    private let cache = Mutex<[String: Cached]>([:])

    init(addressGuard: UpstreamAddressGuard) {
        self.addressGuard = addressGuard
    }

    func client(at url: String) async throws(Refusal) -> OAuthClient {
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0[url] }), now - cached.fetched < Self.cacheLifetime { return cached.client }
        let client = try Self.parse(try await fetch(url), url: url)
        cache.withLock { cache in
            if cache.count >= Self.cacheCapacity {
                cache = cache.filter { now - $0.value.fetched < Self.cacheLifetime }
                // Still full of fresh entries: drop an arbitrary half rather than grow.
                if cache.count >= Self.cacheCapacity { cache = Dictionary(uniqueKeysWithValues: cache.prefix(Self.cacheCapacity / 2).map { ($0.key, $0.value) }) }
            }
            cache[url] = Cached(client: client, fetched: now)
        }
        return client
    }

    private func fetch(_ url: String) async throws(Refusal) -> [UInt8] {
        let fetch = GuardedDocumentFetch(addressGuard: addressGuard, maxBytes: Self.maximumBytes, timeout: Self.fetchTimeout)
        do throws(GuardedDocumentFetch.Failure) {
            let answer = try await fetch.send(.init(), to: url, what: "client metadata document")
            guard answer.status == 200 else { throw GuardedDocumentFetch.Failure("The client metadata document answered HTTP \(answer.status), not 200.") }
            return answer.body
        } catch {
            throw Refusal(error)
        }
    }

    /// The document must name itself (`client_id` equal to its URL, so one site cannot speak for
    /// another's client id), list valid redirect URIs and be a public client.
    static func parse(_ bytes: [UInt8], url: String) throws(Refusal) -> OAuthClient {
        guard let document = try? JSONValue.parse(bytes), document.objectValue != nil else {
            throw Refusal(description: "the client metadata document is not a JSON object")
        }
        guard document["client_id"]?.stringValue == url else {
            throw Refusal(description: "the client metadata document's client_id is not its own URL")
        }
        guard let uris = document["redirect_uris"]?.arrayValue?.compactMap({ $0.stringValue }), !uris.isEmpty, uris.count <= 10,
              uris.count == document["redirect_uris"]?.arrayValue?.count
        else { throw Refusal(description: "the client metadata document needs redirect_uris: 1 to 10 strings") }
        for uri in uris {
            if let refusal = RedirectURIRules.refusal(uri, publicClient: true) { throw Refusal(description: "the document's redirect URI \(refusal)") }
        }
        let method = document["token_endpoint_auth_method"]?.stringValue ?? "none"
        guard method == "none" else {
            throw Refusal(description: "a client metadata document client must be public (token_endpoint_auth_method none)")
        }
        let name = document["client_name"]?.stringValue.map { String($0.prefix(200)) }
        return OAuthClient(clientID: url, name: name, redirectURIs: uris, authMethod: .none, secretHash: nil)
    }
}
