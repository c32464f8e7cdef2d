import Foundation
import Shared
import Testing

@testable import ControlPlane

/// Issue 14 item 2: what a hostile client, redirect target or resource cannot get out of the
/// authorization server.
struct AdversarialOAuthTests {
    @Test(.timeLimit(.minutes(2)))
    func pkceDowngradeIsRefused() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let resource = "\(testGatewayBase)/mcp/\(server)"
            let flow = try await api.registerPublicClient()
            for method in ["plain", nil] {
                let response = try await api.send(.get, flow.authorizeQuery(resource: resource, method: method))
                #expect(response.status == .seeOther)
                let location = try #require(response.headers[.location])
                #expect(location.hasPrefix(flow.redirectURI + "?error=invalid_request"))
                #expect(location.contains("iss=") && location.contains("state=\(flow.state)"))
            }
            // A code bound to a challenge cannot be redeemed with another verifier (or none of the right shape).
            let code = try await flow.allow(try await flow.requestID(resource: resource), by: admin)
            let wrong = try await flow.exchange(code, verifier: PKCEPair().verifier)
            #expect(wrong["error"] == "invalid_grant")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func redirectURIMismatchIsRefusedWithoutARedirect() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let resource = "\(testGatewayBase)/mcp/\(server)"
            let flow = try await api.registerPublicClient()
            for evil in ["https://evil.example/callback", "http://127.0.0.1:33418/other", "http://evil.example:33418/callback"] {
                let response = try await api.send(.get, flow.authorizeQuery(resource: resource, redirectURI: evil))
                #expect(response.status == .badRequest)
                #expect(response.headers[.location] == nil)
            }
            let unknownClient = OAuthFlow(api: api, clientID: UUID().uuidString.lowercased(), redirectURI: flow.redirectURI)
            let refused = try await api.send(.get, unknownClient.authorizeQuery(resource: resource))
            #expect(refused.status == .badRequest)
            #expect(refused.headers[.location] == nil)
            // A loopback redirect may change its port (RFC 8252 §7.3), nothing else.
            let otherPort = try await api.send(.get, flow.authorizeQuery(resource: resource, redirectURI: "http://127.0.0.1:50123/callback"))
            #expect(otherPort.status == .seeOther)
            // At the token endpoint, the redirect URI must be the authorization request's.
            let code = try await flow.allow(try await flow.requestID(resource: resource), by: admin)
            #expect(try await flow.exchange(code, redirectURI: "http://127.0.0.1:50123/callback")["error"] == "invalid_grant")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func reusedCodeIsRefusedAndRevokesWhatItIssued() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let flow = try await api.registerPublicClient()
            let code = try await flow.allow(try await flow.requestID(resource: "\(testGatewayBase)/mcp/\(server)"), by: admin)
            let first = try await flow.exchange(code)
            #expect(first.status == .ok)
            let second = try await flow.exchange(code)
            #expect(second.status == .badRequest)
            #expect(second["error"] == "invalid_grant")
            #expect(try await flow.refresh(try #require(first["refresh_token"]?.stringValue))["error"] == "invalid_grant")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func resourceOfAnotherAccountOrUnknownServerIsRefused() async throws {
        try await withOAuthAPI { api, database in
            let alice = try await api.signup("Alice")
            let mallory = try await api.signup("Mallory")
            let alicesServer = try await Fixtures(database: database).server(of: alice)
            let malloryServer = try await Fixtures(database: database).server(of: mallory)
            let flow = try await api.registerPublicClient()

            // Alice's server: the request belongs to Alice's account, so Mallory can neither see nor allow it.
            let requestID = try await flow.requestID(resource: "\(testGatewayBase)/mcp/\(alicesServer)")
            #expect(try await api.send(.get, "/v1/oauth/requests/\(requestID)", key: mallory.key).status == .notFound)
            let decision = try await api.send(.post, "/v1/oauth/requests/\(requestID)/decision", key: mallory.key, json: [
                "decision": "allow", "identity_label": "intruder",
            ])
            #expect(decision.status == .notFound)

            for resource in ["\(testGatewayBase)/mcp/\(UUID().uuidString.lowercased())", "https://elsewhere.example/mcp/\(malloryServer)",
                             "\(testGatewayBase)/mcp/\(malloryServer.uppercased())"] {
                let response = try await api.send(.get, flow.authorizeQuery(resource: resource))
                #expect(response.headers[.location]?.hasPrefix(flow.redirectURI + "?error=invalid_target") == true)
            }
            // A code for Mallory's server cannot be redeemed for another resource.
            let code = try await flow.allow(try await flow.requestID(resource: "\(testGatewayBase)/mcp/\(malloryServer)"), by: mallory)
            #expect(try await flow.exchange(code, resource: "\(testGatewayBase)/mcp/\(alicesServer)")["error"] == "invalid_grant")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func registrationRefusesUnsafeRedirectURIsAndOversizedBodies() async throws {
        try await withOAuthAPI { api, _ in
            for uri in ["http://evil.example/cb", "javascript:alert(1)", "https://example.com/cb#frag", "https://user:pw@example.com/cb", "relative/cb"] {
                let response = try await api.send(.post, "/oauth/register", json: ["redirect_uris": [.string(uri)], "token_endpoint_auth_method": "none"])
                #expect(response.status == .badRequest)
                #expect(response["error"] == "invalid_redirect_uri")
            }
            let many = try await api.send(.post, "/oauth/register", json: ["redirect_uris": .array((0..<11).map { .string("https://example.com/\($0)") })])
            #expect(many["error"] == "invalid_redirect_uri")
            let huge = try await api.send(.post, "/oauth/register", raw: "{\"client_name\":\"" + String(repeating: "a", count: 20_000) + "\"}")
            #expect(huge.status == .contentTooLarge)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func confidentialClientMustPresentItsSecret() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let registered = try await api.send(.post, "/oauth/register", json: [
                "redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "client_secret_post",
            ])
            let clientID = try #require(registered["client_id"]?.stringValue)
            let secret = try #require(registered["client_secret"]?.stringValue)
            let flow = OAuthFlow(api: api, clientID: clientID, redirectURI: "https://client.example/cb")
            let code = try await flow.allow(try await flow.requestID(resource: "\(testGatewayBase)/mcp/\(server)"), by: admin)
            let fields = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", flow.redirectURI),
                          ("code_verifier", flow.pkce.verifier), ("client_id", clientID)]
            let without = try await api.form("/oauth/token", fields)
            #expect(without.status == .unauthorized)
            #expect(without["error"] == "invalid_client")
            let wrong = try await api.form("/oauth/token", fields + [("client_secret", SecretToken.generate(.oauthClientSecret).text)])
            #expect(wrong["error"] == "invalid_client")
            // Client authentication fails before the code is looked at, so the code is still good.
            #expect(try await api.form("/oauth/token", fields + [("client_secret", secret)]).status == .ok)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func metadataDocumentMustNameItselfStaySmallAndPassTheAddressGuard() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let resource = "\(testGatewayBase)/mcp/\(server)"
            try await withClientMetadataDocument(redirectURI: "http://127.0.0.1:40000/cb", claimedID: "https://trusted.example/client.json") { url in
                let flow = OAuthFlow(api: api, clientID: url, redirectURI: "http://127.0.0.1:40000/cb")
                let response = try await api.send(.get, flow.authorizeQuery(resource: resource))
                #expect(response.status == .badRequest)
                #expect(response.headers[.location] == nil)
            }
            try await withClientMetadataDocument(redirectURI: "http://127.0.0.1:40000/cb", padding: 6000) { url in
                let flow = OAuthFlow(api: api, clientID: url, redirectURI: "http://127.0.0.1:40000/cb")
                let response = try await api.send(.get, flow.authorizeQuery(resource: resource))
                #expect(response.status == .badRequest)
                #expect(response["error_description"]?.stringValue?.contains("larger than") == true)
            }
        }
        // With the default guard, a client_id pointing at loopback is never fetched.
        try await withOAuthAPI(configure: { $0.upstreamAddressGuard = UpstreamAddressGuard(policy: UpstreamAddressPolicy()) }) { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            try await withClientMetadataDocument(redirectURI: "http://127.0.0.1:40000/cb") { url in
                let flow = OAuthFlow(api: api, clientID: url, redirectURI: "http://127.0.0.1:40000/cb")
                let response = try await api.send(.get, flow.authorizeQuery(resource: "\(testGatewayBase)/mcp/\(server)"))
                #expect(response.status == .badRequest)
                #expect(response["error_description"]?.stringValue?.contains("refused") == true)
            }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func repeatedParameterIsRefused() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let flow = try await api.registerPublicClient()
            let query = flow.authorizeQuery(resource: "\(testGatewayBase)/mcp/\(server)")
            let doubled = try await api.send(.get, query + "&client_id=" + UUID().uuidString.lowercased())
            #expect(doubled.status == .badRequest)
            #expect(doubled.headers[.location] == nil)
            let token = try await api.form("/oauth/token", [
                ("grant_type", "refresh_token"), ("refresh_token", "a"), ("refresh_token", "b"), ("client_id", flow.clientID),
            ])
            #expect(token["error"] == "invalid_request")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func nulInAParameterIsRefusedWithoutARedirect() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let flow = try await api.registerPublicClient()
            let query = flow.authorizeQuery(resource: "\(testGatewayBase)/mcp/\(server)")
            let authorize = try await api.send(.get, query + "&nonce=a%00b")
            #expect(authorize.status == .badRequest)
            #expect(authorize.headers[.location] == nil)
            let token = try await api.form("/oauth/token", [
                ("grant_type", "refresh_token"), ("refresh_token", "pcs_rt_\u{0}"), ("client_id", flow.clientID),
            ])
            #expect(token["error"] == "invalid_request")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func consentPageRunsNoInlineScriptAndCannotBeFramed() async throws {
        try await withOAuthAPI { api, _ in
            let page = try await api.client.execute(uri: "/oauth/consent?request=x", method: .get, headers: [:], body: nil)
            #expect(page.status == .ok)
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            #expect(page.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            let html = String(buffer: page.body)
            #expect(html.components(separatedBy: "<script").count == 2)
            #expect(html.contains("<script type=\"module\" src=\"/oauth/consent.js\"></script>"))
            let script = try await api.client.execute(uri: "/oauth/consent.js", method: .get, headers: [:], body: nil)
            #expect(script.headers[.contentType]?.hasPrefix("text/javascript") == true)
            // Values from the client (its name, its redirect URI) are set as text, never parsed as HTML.
            #expect(!String(buffer: script.body).contains("innerHTML"))
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func viewerCanDenyButNotAllow() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let viewer = try await api.addMember("viewer", by: admin)
            let server = try await Fixtures(database: database).server(of: admin)
            let flow = try await api.registerPublicClient()
            let requestID = try await flow.requestID(resource: "\(testGatewayBase)/mcp/\(server)")
            let allow = try await api.send(.post, "/v1/oauth/requests/\(requestID)/decision", key: viewer.key, json: [
                "decision": "allow", "identity_label": "agent",
            ])
            #expect(allow.status == .forbidden)
            let deny = try await api.send(.post, "/v1/oauth/requests/\(requestID)/decision", key: viewer.key, json: ["decision": "deny"])
            #expect(deny.status == .ok)
            #expect(deny["redirect_to"]?.stringValue?.hasPrefix(flow.redirectURI + "?error=access_denied") == true)
            // Decided once: the request is gone.
            #expect(try await api.send(.get, "/v1/oauth/requests/\(requestID)", key: admin.key).status == .notFound)
        }
    }

    /// RFC 8252 §7.1 (issue 14 leftover 5): a public client (a native app) may redirect to its
    /// private-use scheme; nothing a browser runs or reads itself, no plain http off loopback, no
    /// fragment; a confidential client keeps to https and loopback.
    @Test(.timeLimit(.minutes(2)))
    func nativeAppSchemesAreRedirectURIsOfPublicClientsAndBrowserSchemesNever() async throws {
        try await withOAuthAPI { api, _ in
            func register(_ uri: String, method: String = "none") async throws -> APIResponse {
                try await api.send(.post, "/oauth/register", json: ["redirect_uris": [.string(uri)], "token_endpoint_auth_method": .string(method)])
            }
            for uri in [
                "cursor://anysphere.cursor-retrieval/oauth/callback", "vscode://vscode.github-authentication/did-authenticate",
                "com.example.app:/oauth2redirect", "http://127.0.0.1:33418/cb", "http://[::1]/cb", "https://client.example/cb",
            ] {
                #expect(try await register(uri).status == .created, "\(uri)")
            }
            for uri in [
                "javascript:alert(1)", "JavaScript://x/%0aalert(1)", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd",
                "vbscript:msgbox(1)", "blob:https://client.example/1", "http://evil.example/cb", "cursor://app/cb#fragment",
                "com.example.app:/cb#x", "cursor:", "https:///cb", "about:blank",
            ] {
                let response = try await register(uri)
                #expect(response.status == .badRequest, "\(uri)")
                #expect(response["error"] == "invalid_redirect_uri", "\(uri)")
            }
            let confidential = try await register("cursor://anysphere.cursor-retrieval/oauth/callback", method: "client_secret_post")
            #expect(confidential["error"] == "invalid_redirect_uri")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func aNativeAppCompletesTheFlowThroughItsPrivateUseSchemeByRegistrationAndByMetadataDocument() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let resource = "\(testGatewayBase)/mcp/\(server)"
            let redirect = "com.example.app:/oauth2redirect"
            let registered = try await api.send(.post, "/oauth/register", json: [
                "redirect_uris": [.string(redirect)], "token_endpoint_auth_method": "none",
            ])
            let flow = OAuthFlow(api: api, clientID: try #require(registered["client_id"]?.stringValue), redirectURI: redirect)
            #expect(try await flow.tokens(resource: resource, member: admin)["access_token"]?.stringValue != nil)

            try await withClientMetadataDocument(redirectURI: "cursor://anysphere.cursor-retrieval/oauth/callback") { url in
                let byDocument = OAuthFlow(api: api, clientID: url, redirectURI: "cursor://anysphere.cursor-retrieval/oauth/callback")
                let answer = try await byDocument.tokens(resource: resource, member: admin)
                #expect(answer["access_token"]?.stringValue != nil)
            }
            try await withClientMetadataDocument(redirectURI: "javascript:alert(1)") { url in
                let hostile = OAuthFlow(api: api, clientID: url, redirectURI: "javascript:alert(1)")
                let response = try await api.send(.get, hostile.authorizeQuery(resource: resource))
                #expect(response.status == .badRequest)
                #expect(response.headers[.location] == nil)
            }
        }
    }

    /// Issue 14 leftover 7: PostgreSQL text cannot hold a NUL; wherever it is in the metadata, the
    /// registration is refused as invalid metadata, and nothing is stored.
    @Test(.timeLimit(.minutes(2)))
    func aNULInsideRegistrationStringsIsInvalidClientMetadata() async throws {
        try await withOAuthAPI { api, database in
            for body in [
                #"{"redirect_uris":["https://client.example/cb"],"client_name":"a\u0000b","token_endpoint_auth_method":"none"}"#,
                #"{"redirect_uris":["https://client.example/cb\u0000"],"token_endpoint_auth_method":"none"}"#,
                #"{"redirect_uris":["https://client.example/cb"],"token_endpoint_auth_method":"none\u0000"}"#,
                #"{"redirect_uris":["https://client.example/cb"],"token_endpoint_auth_method":"none","logo_uri":"x\u0000"}"#,
                #"{"redirect_uris":["https://client.example/cb"],"token_endpoint_auth_method":"none","x\u0000":1}"#,
            ] {
                let response = try await api.send(.post, "/oauth/register", raw: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response["error"] == "invalid_client_metadata", "\(body)")
            }
            #expect(try await database.query("SELECT 1 FROM oauth_clients").isEmpty)
        }
    }

    /// Issue 14 leftover 7: a metadata document server that sends its answer one byte a second
    /// is given up at the whole-fetch deadline, with a clear reason, not waited on byte by byte.
    @Test(.timeLimit(.minutes(2)))
    func aTricklingMetadataDocumentEndsAtTheFetchDeadline() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            try await withClientMetadataDocument(redirectURI: "http://127.0.0.1:40000/cb", trickle: true) { url in
                let flow = OAuthFlow(api: api, clientID: url, redirectURI: "http://127.0.0.1:40000/cb")
                let response = try await api.send(.get, flow.authorizeQuery(resource: "\(testGatewayBase)/mcp/\(server)"))
                #expect(response.status == .badRequest)
                #expect(response["error_description"]?.stringValue?.contains("the client metadata document did not answer within \(ClientMetadataDocuments.fetchTimeout)") == true)
            }
        }
    }
}
