import Foundation
import Hummingbird
import HummingbirdCore

/// The parameters of an OAuth request: the query of `/oauth/authorize`, or the
/// `application/x-www-form-urlencoded` body of `/oauth/token`, `/oauth/revoke` (RFC 6749 §3.1,
/// §3.2: a parameter sent twice is an error, an empty one counts as absent).
struct OAuthParameters: Sendable {
    /// A token or revocation request is a few hundred bytes; this leaves room for long client ids.
    static let maximumBodyBytes = 16 * 1024

    private let values: [String: String]

    /// Nil when a parameter repeats (the name is returned in `duplicate`).
    init(encoded text: String) throws(OAuthError) {
        var values: [String: String] = [:]
        // `+` is a space in form encoding; URI's decoder reads only percent escapes.
        let uri = URI("/?" + text.replacingOccurrences(of: "+", with: "%20"))
        for (name, value) in uri.queryParameters {
            let name = String(name)
            guard values[name] == nil else { throw .invalidRequest("The parameter \(name) is repeated.") }
            // PostgreSQL's text cannot hold NUL: a stored `state` or client id with one would fail
            // the request with a 500 instead of this answer (issue 10 item 1 for OAuth).
            guard !name.contains("\u{0}"), !value.contains("\u{0}") else { throw .invalidRequest("A parameter holds a NUL character.") }
            if !value.isEmpty { values[name] = String(value) }
        }
        self.values = values
    }

    /// The body of a form POST; a body that is not a form is an `invalid_request`.
    static func form(of request: Request) async throws -> OAuthParameters {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            throw OAuthError.invalidRequest("The body must be application/x-www-form-urlencoded.")
        }
        let buffer = try await request.body.collect(upTo: maximumBodyBytes)
        return try OAuthParameters(encoded: String(buffer: buffer))
    }

    subscript(_ name: String) -> String? { values[name] }

    func required(_ name: String) throws(OAuthError) -> String {
        guard let value = values[name] else { throw .invalidRequest("The parameter \(name) is required.") }
        return value
    }
}
