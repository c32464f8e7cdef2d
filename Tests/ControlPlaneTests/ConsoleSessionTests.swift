import Foundation
import Shared
import Testing

@testable import ControlPlane

/// The console's browser session (issue 12): login sets a cookie, /v1 accepts it, logout ends it.
@Suite(.timeLimit(.minutes(2)))
struct ConsoleSessionTests {
    @Test func sessionLoginSetsAStrictHttpOnlyCookieAndKeepsTheKeyOutOfTheBody() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let response = try await api.browserSend(.post, "/v1/login", cookie: nil,
                                                     json: ["email": .string(admin.email), "password": "correct horse battery", "session": true])
            #expect(response.status == .ok)
            #expect(response["api_key"] == nil)
            #expect(response["member"]?["email"]?.stringValue == admin.email)
            let cookie = try #require(response.sessionCookie)
            #expect(SecretToken.parse(cookie.value, as: .apiKey) != nil)
            #expect(cookie.attributes["httponly"] != nil)
            #expect(cookie.attributes["samesite"] == "strict")
            #expect(cookie.attributes["path"] == "/v1")
            #expect(cookie.attributes["secure"] == nil)
            #expect(Int(cookie.attributes["max-age"] ?? "") == 12 * 3600)
        }
    }

    @Test func sessionCookieIsSecureWhenTheProxySaysTLS() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let response = try await api.browserSend(.post, "/v1/login", cookie: nil, extraHeaders: [ConsoleSession.forwardedProto: "https"],
                                                     json: ["email": .string(admin.email), "password": "correct horse battery", "session": true])
            #expect(response.sessionCookie?.attributes["secure"] != nil)
        }
    }

    @Test func theCookieAuthenticatesReadsAndCSRFHeaderedWrites() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let cookie = try await api.browserLogin(admin.email)
            let me = try await api.browserSend(.get, "/v1/me", cookie: cookie, csrf: false)
            #expect(me.status == .ok)
            #expect(me["member"]?["id"]?.stringValue == admin.memberID)
            #expect(me["account"]?["id"]?.stringValue == admin.accountID)
            let created = try await api.browserSend(.post, "/v1/identities", cookie: cookie, json: ["label": "agent"])
            #expect(created.status == .created)
        }
    }

    @Test func meAnswersForABearerKeyToo() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let me = try await api.send(.get, "/v1/me", key: admin.key)
            #expect(me.status == .ok)
            #expect(me["member"]?["role"] == "admin")
        }
    }

    @Test func logoutRevokesTheSessionKeyAndClearsTheCookie() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let cookie = try await api.browserLogin(admin.email)
            let logout = try await api.browserSend(.post, "/v1/logout", cookie: cookie)
            #expect(logout.status == .noContent)
            #expect(logout.sessionCookie?.value == "")
            #expect(logout.sessionCookie?.attributes["max-age"] == "0")
            // The key is revoked, not only forgotten: replaying the old cookie is refused.
            let after = try await api.browserSend(.get, "/v1/me", cookie: cookie)
            #expect(after.status == .unauthorized)
            // Other keys of the member stay valid.
            #expect(try await api.send(.get, "/v1/me", key: admin.key).status == .ok)
        }
    }

    @Test func logoutWithABearerKeyRevokesThatKey() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            #expect(try await api.send(.post, "/v1/logout", key: admin.key).status == .noContent)
            #expect(try await api.send(.get, "/v1/me", key: admin.key).status == .unauthorized)
        }
    }

    @Test func aViewerSessionCannotEdit() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let viewer = try await api.addMember("viewer", by: admin)
            let cookie = try await api.browserLogin(viewer.email)
            #expect(try await api.browserSend(.get, "/v1/identities", cookie: cookie).status == .ok)
            let created = try await api.browserSend(.post, "/v1/identities", cookie: cookie, json: ["label": "agent"])
            #expect(created.status == .forbidden)
        }
    }
}
