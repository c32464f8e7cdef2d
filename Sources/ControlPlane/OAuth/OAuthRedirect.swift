import Foundation
import Shared

/// The redirect back to the client with a code or an error (RFC 6749 §4.1.2), always carrying
/// `iss` (RFC 9207, so a client talking to several servers cannot be mixed up) and the client's
/// `state`.
enum OAuthRedirect {
    static func url(_ redirectURI: String, _ parameters: [(String, String?)]) -> String {
        let query = FormEncoding.encode(parameters.compactMap { name, value in value.map { (name, $0) } })
        guard var components = URLComponents(string: redirectURI) else { return redirectURI }
        components.percentEncodedQuery = [components.percentEncodedQuery, query].compactMap { $0?.isEmpty == false ? $0 : nil }
            .joined(separator: "&")
        return components.string ?? redirectURI
    }

}
