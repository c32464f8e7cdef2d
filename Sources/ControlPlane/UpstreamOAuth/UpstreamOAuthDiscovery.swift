import Foundation
import JSON
import Shared

/// What an OAuth-protected upstream names as its authorization server, and that server's endpoints.
struct UpstreamAuthorizationServer: Sendable {
    /// The protected resource identifier (RFC 9728 `resource`), sent as RFC 8707 `resource`.
    let resource: String
    let issuer: String
    let authorizationEndpoint: String
    let tokenEndpoint: String
    let registrationEndpoint: String?
    /// From the 401's `scope`, else the resource's `scopes_supported`; nil when neither names one.
    let scope: String?
    /// RFC 9207 `authorization_response_iss_parameter_supported`.
    let sendsIss: Bool
}

/// Finds an upstream's authorization server (issue 14 item 5; MCP authorization, revision
/// 2025-06-18 onwards): the Protected Resource Metadata named by the 401's `resource_metadata`,
/// else at its well-known URLs (RFC 9728 §3.1), then the server's metadata at its RFC 8414 URL
/// (path inserted), else its OpenID configuration. Every fetch goes through the SSRF guard
/// (`GuardedDocumentFetch`, redirects never followed, bodies capped).
struct UpstreamOAuthDiscovery: Sendable {
    typealias Failure = GuardedDocumentFetch.Failure

    let fetch: GuardedDocumentFetch

    func discover(serverURL: String) async throws(Failure) -> UpstreamAuthorizationServer {
        let challenge = try await challenge(of: serverURL)
        let metadata = try await protectedResourceMetadata(serverURL: serverURL, named: challenge.metadataURL)
        // RFC 9728 §3.3: metadata for another resource must not be used (it could send the
        // identity's authorization to a server that is not this upstream).
        guard let resource = metadata["resource"]?.stringValue, Self.sameURL(resource, serverURL) else {
            throw Failure("The upstream's protected resource metadata names another resource than \(serverURL).")
        }
        guard let issuer = metadata["authorization_servers"]?.arrayValue?.first?.stringValue, Self.isWebURL(issuer) else {
            throw Failure("The upstream's protected resource metadata names no authorization server.")
        }
        let server = try await authorizationServerMetadata(issuer: issuer)
        guard let issued = server["issuer"]?.stringValue, Self.sameURL(issued, issuer) else {
            throw Failure("The authorization server's metadata names another issuer than \(issuer).")
        }
        // MCP authorization: a client must refuse an authorization server without PKCE S256.
        guard server["code_challenge_methods_supported"]?.arrayValue?.contains(.string("S256")) == true else {
            throw Failure("The authorization server does not offer PKCE with S256.")
        }
        guard let authorize = server["authorization_endpoint"]?.stringValue, Self.isWebURL(authorize),
              let token = server["token_endpoint"]?.stringValue, Self.isWebURL(token)
        else { throw Failure("The authorization server's metadata lacks a valid authorization_endpoint or token_endpoint.") }
        let registration = server["registration_endpoint"]?.stringValue
        if let registration, !Self.isWebURL(registration) { throw Failure("The authorization server's registration_endpoint is not a URL.") }
        let scopes = metadata["scopes_supported"]?.arrayValue?.compactMap(\.stringValue).filter(Self.isScopeToken)
        return UpstreamAuthorizationServer(
            resource: resource, issuer: issued, authorizationEndpoint: authorize, tokenEndpoint: token,
            registrationEndpoint: registration, scope: challenge.scope ?? scopes.flatMap { $0.isEmpty ? nil : $0.joined(separator: " ") },
            sendsIss: server["authorization_response_iss_parameter_supported"]?.boolValue == true)
    }

    /// An `initialize` without credentials: an OAuth-protected MCP server answers 401 with
    /// `WWW-Authenticate: Bearer resource_metadata="...", scope="..."`.
    private func challenge(of serverURL: String) async throws(Failure) -> (metadataURL: String?, scope: String?) {
        var probe = GuardedDocumentFetch.Request.json([
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": ["protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "portcullis", "version": "1"]],
        ])
        probe.headers = [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")]
        let answer = try await fetch.send(probe, to: serverURL, what: "upstream")
        guard answer.status == 401 else { return (nil, nil) }
        let header = answer.headers["WWW-Authenticate"].joined(separator: ", ")
        let metadataURL = Self.parameter("resource_metadata", in: header).flatMap { Self.isWebURL($0) ? $0 : nil }
        return (metadataURL, Self.parameter("scope", in: header).flatMap { $0.split(separator: " ").allSatisfy { Self.isScopeToken(String($0)) } ? $0 : nil })
    }

    private func protectedResourceMetadata(serverURL: String, named: String?) async throws(Failure) -> JSONObject {
        if let named { return try await fetch.object(at: named, what: "upstream's protected resource metadata") }
        return try await firstObject(at: Self.wellKnown("oauth-protected-resource", for: serverURL), what: "upstream's protected resource metadata")
    }

    /// RFC 8414 §3.1 (path inserted after the well-known prefix), then OpenID Connect Discovery
    /// in both its path-inserted and path-appended forms, as the MCP specification lists them.
    private func authorizationServerMetadata(issuer: String) async throws(Failure) -> JSONObject {
        var candidates = Self.wellKnown("oauth-authorization-server", for: issuer).prefix(1) + Self.wellKnown("openid-configuration", for: issuer).prefix(1)
        let trimmed = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        if !candidates.contains(trimmed + "/.well-known/openid-configuration") { candidates.append(trimmed + "/.well-known/openid-configuration") }
        return try await firstObject(at: Array(candidates), what: "authorization server's metadata")
    }

    /// The first candidate that answers 200 with a JSON object; a refused URL ends the search.
    private func firstObject(at urls: [String], what: String) async throws(Failure) -> JSONObject {
        var last = Failure("The \(what) was not found.")
        for url in urls {
            do {
                return try await fetch.object(at: url, what: what)
            } catch {
                if error.refused { throw error }
                last = error
            }
        }
        throw last
    }

    /// `<origin>/.well-known/<name><path>`, then `<origin>/.well-known/<name>` when the URL has a path.
    static func wellKnown(_ name: String, for url: String) -> [String] {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.percentEncodedHost else { return [] }
        let origin = "\(scheme)://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host)" + (components.port.map { ":\($0)" } ?? "")
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        let root = "\(origin)/.well-known/\(name)"
        return path.isEmpty ? [root] : [root + path, root]
    }

    /// The quoted (or token) value of `name` in a `WWW-Authenticate` challenge.
    static func parameter(_ name: String, in header: String) -> String? {
        // The name must start a parameter: `scope=` inside `x_scope=` or a quoted value is not it.
        var searchFrom = header.startIndex
        var found: Range<String.Index>?
        while let match = header.range(of: "\(name)=", options: .caseInsensitive, range: searchFrom..<header.endIndex) {
            let before = match.lowerBound == header.startIndex ? nil : header[header.index(before: match.lowerBound)]
            if before == nil || before == " " || before == "," {
                found = match
                break
            }
            searchFrom = match.upperBound
        }
        guard let start = found else { return nil }
        let rest = header[start.upperBound...]
        if rest.first == "\"" {
            let value = rest.dropFirst().prefix { $0 != "\"" }
            return value.isEmpty ? nil : String(value)
        }
        let value = rest.prefix { $0 != "," && $0 != " " }
        return value.isEmpty ? nil : String(value)
    }

    /// Equal but for one trailing slash (`http://as.example` and `http://as.example/` are the
    /// same issuer to Python's URL types, which add it).
    static func sameURL(_ a: String, _ b: String) -> Bool {
        func trimmed(_ url: String) -> Substring { url.hasSuffix("/") ? url.dropLast() : Substring(url) }
        return trimmed(a) == trimmed(b)
    }

    /// An http(s) URL with a host, short enough to store, without control characters (a NUL
    /// would fail the database write, a line break a header).
    static func isWebURL(_ text: String) -> Bool {
        guard text.utf8.count <= 2048, !text.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }),
              let components = URLComponents(string: text), ["http", "https"].contains(components.scheme?.lowercased()),
              components.host?.isEmpty == false
        else { return false }
        return true
    }

    /// RFC 6749 §3.3 scope-token characters, at most 200 of them.
    static func isScopeToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 200 && text.unicodeScalars.allSatisfy { $0.value == 0x21 || (0x23...0x5B).contains($0.value) || (0x5D...0x7E).contains($0.value) }
    }
}
