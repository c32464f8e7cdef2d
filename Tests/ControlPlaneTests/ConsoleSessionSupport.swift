import Foundation
import Hummingbird
import HummingbirdTesting
import Shared

@testable import ControlPlane
import JSON

/// A browser as the console's session tests drive it: the session cookie, and whether its page sets
/// the CSRF header (a cross-site form cannot).
extension APIClient {
    func browserSend(
        _ method: HTTPRequest.Method, _ path: String, cookie: String?, csrf: Bool = true,
        extraHeaders: HTTPFields = [:], json: JSONValue? = nil
    ) async throws -> APIResponse {
        var headers = extraHeaders
        if let cookie { headers[.cookie] = "\(ConsoleSession.cookieName)=\(cookie)" }
        if csrf { headers[ConsoleSession.csrfHeader] = "1" }
        if json != nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0.serialized()) })
        return APIResponse(status: response.status, headers: response.headers, json: try? JSONValue.parse(Array(buffer: response.body)))
    }

    /// Logs `email` in as the console does and returns the session cookie's value.
    func browserLogin(_ email: String, extraHeaders: HTTPFields = [:]) async throws -> String {
        let response = try await browserSend(.post, "/v1/login", cookie: nil, extraHeaders: extraHeaders,
                                             json: ["email": .string(email), "password": "correct horse battery", "session": true])
        guard response.status == .ok, let cookie = response.sessionCookie?.value, !cookie.isEmpty else {
            throw TestFailure("session login failed: \(response.status) \(String(describing: response.json))")
        }
        return cookie
    }
}

extension APIResponse {
    /// The `Set-Cookie` of the console's session: its value and its attributes, lowercased
    /// (`["httponly": "", "samesite": "strict", "path": "/v1", ...]`).
    var sessionCookie: (value: String, attributes: [String: String])? {
        for header in headers[values: .setCookie] {
            let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = parts.first, first.hasPrefix("\(ConsoleSession.cookieName)=") else { continue }
            var attributes: [String: String] = [:]
            for part in parts.dropFirst() {
                let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
                attributes[pair[0].lowercased()] = pair.count > 1 ? pair[1].lowercased() : ""
            }
            return (String(first.dropFirst(ConsoleSession.cookieName.count + 1)), attributes)
        }
        return nil
    }
}
