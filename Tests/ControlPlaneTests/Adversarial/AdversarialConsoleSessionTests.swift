import Foundation
import Hummingbird
import Shared
import Testing

@testable import ControlPlane

/// Hostile uses of the console's session cookie (issue 12): cross-site requests ride on a cookie
/// the browser sends by itself, so a cookie alone must never change anything.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialConsoleSessionTests {
    @Test func crossSitePostWithoutTheCSRFHeaderIsRefused() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let cookie = try await api.browserLogin(admin.email)
            for (method, path) in [(HTTPRequest.Method.post, "/v1/identities"), (.post, "/v1/api-keys"), (.post, "/v1/logout")] {
                let response = try await api.browserSend(method, path, cookie: cookie, csrf: false, json: ["label": "forged", "name": "forged"])
                #expect(response.status == .forbidden, "\(path)")
                #expect(response.isProblem)
            }
            let identities = try await api.send(.get, "/v1/identities", key: admin.key)
            #expect(identities["items"]?.arrayValue?.isEmpty == true)
            // The forged logout did not end the session either.
            #expect(try await api.browserSend(.get, "/v1/me", cookie: cookie, csrf: false).status == .ok)
        }
    }

    @Test func crossSiteDeleteAndPatchWithoutTheCSRFHeaderAreRefused() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let cookie = try await api.browserLogin(admin.email)
            let identity = try await api.send(.post, "/v1/identities", key: admin.key, json: ["label": "kept"])
            let id = try #require(identity["id"]?.stringValue)
            #expect(try await api.browserSend(.patch, "/v1/identities/\(id)", cookie: cookie, csrf: false, json: ["label": "renamed"]).status == .forbidden)
            #expect(try await api.browserSend(.delete, "/v1/identities/\(id)", cookie: cookie, csrf: false).status == .forbidden)
            #expect(try await api.send(.get, "/v1/identities/\(id)", key: admin.key)["label"] == "kept")
        }
    }

    @Test func sessionLoginWithoutTheCSRFHeaderIsRefused() async throws {
        // Login CSRF: a cross-site form must not sign the victim's browser into the attacker's account.
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let response = try await api.browserSend(.post, "/v1/login", cookie: nil, csrf: false,
                                                     json: ["email": .string(admin.email), "password": "correct horse battery", "session": true])
            #expect(response.status == .forbidden)
            #expect(response.sessionCookie == nil)
        }
    }

    @Test func theSessionCookieIsNotAcceptedByTheWorkerAPI() async throws {
        let workerToken = SecretToken.generate(.worker).text
        try await withAPI(workerTokens: [workerToken]) { api, _ in
            let admin = try await api.signup()
            let cookie = try await api.browserLogin(admin.email)
            #expect(try await api.browserSend(.get, "/internal/v1/snapshot", cookie: cookie).status == .unauthorized)
            // Nor does a worker token in the cookie open /v1.
            #expect(try await api.browserSend(.get, "/v1/me", cookie: workerToken).status == .unauthorized)
        }
    }

    @Test func anAuthorizationHeaderWinsOverTheCookie() async throws {
        // A bad bearer key is refused even beside a good cookie: the cookie never rescues a request
        // that chose header authentication.
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let cookie = try await api.browserLogin(admin.email)
            let response = try await api.browserSend(.get, "/v1/me", cookie: cookie, extraHeaders: [.authorization: "Bearer pcs_ak_forged"])
            #expect(response.status == .unauthorized)
        }
    }

    @Test func aMalformedOrUnknownCookieIsUnauthorized() async throws {
        try await withAPI { api, _ in
            let malformed = try await api.browserSend(.get, "/v1/me", cookie: "not-a-key")
            #expect(malformed.status == .unauthorized)
            let unknown = try await api.browserSend(.get, "/v1/me", cookie: SecretToken.generate(.apiKey).text)
            #expect(unknown.status == .unauthorized)
        }
    }
}
