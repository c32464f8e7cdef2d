import Crypto
import Foundation
import Hummingbird
import Shared

/// Who is calling the token or revocation endpoint (RFC 6749 §2.3): a public client names itself
/// with `client_id`; a confidential one proves it with its secret, in the body
/// (`client_secret_post`) or in `Authorization: Basic` (`client_secret_basic`), as registered.
struct OAuthClientAuthentication {
    let clients: OAuthClientDirectory

    func authenticate(_ request: Request, _ parameters: OAuthParameters) async throws -> OAuthClient {
        var presented: (id: String, secret: String?, basic: Bool)
        if let header = request.headers[.authorization] {
            guard header.lowercased().hasPrefix("basic "),
                  let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                  let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
            else { throw OAuthError.invalidClient("The Authorization header is not HTTP Basic client credentials.", basic: true) }
            // RFC 6749 §2.3.1: both halves are form-encoded before they are joined.
            let id = String(text[..<colon]).removingPercentEncoding ?? ""
            let secret = String(text[text.index(after: colon)...]).removingPercentEncoding ?? ""
            if let bodyID = parameters["client_id"], bodyID != id {
                throw OAuthError.invalidRequest("client_id in the body differs from the Authorization header's.")
            }
            guard parameters["client_secret"] == nil else { throw OAuthError.invalidRequest("Use one way of client authentication, not two.") }
            // A public client may still send Basic with an empty secret.
            presented = (id, secret.isEmpty ? nil : secret, true)
        } else {
            presented = (try parameters.required("client_id"), parameters["client_secret"], false)
        }
        let client: OAuthClient
        switch try await clients.client(presented.id) {
        case .success(let found): client = found
        case .failure(let refusal): throw OAuthError.invalidClient("Unknown client: \(refusal.description).", basic: presented.basic)
        }
        switch client.authMethod {
        case .none:
            guard presented.secret == nil else { throw OAuthError.invalidClient("This client is public: it has no secret.", basic: presented.basic) }
        case .clientSecretPost, .clientSecretBasic:
            guard client.authMethod == (presented.basic ? .clientSecretBasic : .clientSecretPost) else {
                throw OAuthError.invalidClient("The client must authenticate with \(client.authMethod.rawValue).", basic: presented.basic)
            }
            guard let secret = presented.secret, let expected = client.secretHash,
                  SecretToken.parse(secret, as: .oauthClientSecret).map({ Self.same($0.hash, expected) }) == true
            else { throw OAuthError.invalidClient("The client secret is wrong.", basic: presented.basic) }
        }
        return client
    }

    /// Compares two digests without stopping at the first difference.
    private static func same(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
