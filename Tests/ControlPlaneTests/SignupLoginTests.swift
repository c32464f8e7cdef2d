import Foundation
import Shared
import Testing

@testable import ControlPlane

@Suite(.timeLimit(.minutes(2)))
struct SignupLoginTests {
    @Test func signupCreatesAnAccountItsAdminAndAWorkingKey() async throws {
        try await withAPI { api, _ in
            let response = try await api.send(.post, "/v1/signup", json: ["account_name": "Acme Robotics", "email": "Ops@Acme.example", "password": "correct horse battery"])
            #expect(response.status == .created)
            #expect(response["account"]?["name"] == "Acme Robotics")
            #expect(response["account"]?["slug"] == "acme-robotics")
            #expect(response["member"]?["email"] == "Ops@Acme.example")
            #expect(response["member"]?["role"] == "admin")
            let key = try #require(response["api_key"]?.stringValue)
            #expect(SecretToken.parse(key, as: .apiKey) != nil)
            let account = try await api.send(.get, "/v1/account", key: key)
            #expect(account.status == .ok)
            #expect(account["id"] == response["account"]?["id"])
        }
    }

    @Test func theSameAccountNameGetsAnotherSlug() async throws {
        try await withAPI { api, _ in
            _ = try await api.signup("Acme")
            let second = try await api.send(.post, "/v1/signup", json: ["account_name": "Acme", "email": "b@example.com", "password": "correct horse battery"])
            #expect(second.status == .created)
            let slug = try #require(second["account"]?["slug"]?.stringValue)
            #expect(slug.hasPrefix("acme-") && slug != "acme")
        }
    }

    @Test func aTakenEmailIsAConflictInAnyCase() async throws {
        try await withAPI { api, _ in
            _ = try await api.signup(email: "taken@example.com")
            let again = try await api.send(.post, "/v1/signup", json: ["account_name": "Other", "email": "TAKEN@example.com", "password": "correct horse battery"])
            #expect(again.status == .conflict)
            #expect(again.isProblem)
        }
    }

    @Test func signupChecksEveryFieldAtOnce() async throws {
        try await withAPI { api, _ in
            let response = try await api.send(.post, "/v1/signup", json: ["account_name": "", "email": "nobody", "password": "short", "plan": "gold"])
            #expect(response.status == .badRequest)
            #expect(Set(response.errorPointers) == ["/account_name", "/email", "/password", "/plan"])
        }
    }

    @Test func closedSignupIsForbidden() async throws {
        try await withAPI(signup: .closed) { api, _ in
            let response = try await api.send(.post, "/v1/signup", json: ["account_name": "Acme", "email": "a@example.com", "password": "correct horse battery"])
            #expect(response.status == .forbidden)
            #expect(response.isProblem)
        }
    }

    @Test func loginReturnsAnExpiringKeyWithMemberAndAccount() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup(email: "login@example.com")
            let response = try await api.send(.post, "/v1/login", json: ["email": "LOGIN@example.com", "password": "correct horse battery"])
            #expect(response.status == .ok)
            #expect(response["member"]?["id"]?.stringValue == admin.memberID)
            #expect(response["account"]?["id"]?.stringValue == admin.accountID)
            #expect(response["expires_at"]?.stringValue != nil)
            let key = try #require(response["api_key"]?.stringValue)
            #expect(try await api.send(.get, "/v1/members", key: key).status == .ok)
            let keys = try await api.send(.get, "/v1/api-keys", key: key)
            let loginKey = keys["items"]?.arrayValue?.first { $0["name"] == "console login" }
            #expect(loginKey?["expires_at"]?.isNull == false)
        }
    }

    @Test func wrongPasswordAndUnknownEmailGetTheSameAnswer() async throws {
        try await withAPI { api, _ in
            _ = try await api.signup(email: "real@example.com")
            let wrong = try await api.send(.post, "/v1/login", json: ["email": "real@example.com", "password": "not the password"])
            let unknown = try await api.send(.post, "/v1/login", json: ["email": "ghost@example.com", "password": "not the password"])
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(wrong["detail"] == unknown["detail"])
        }
    }

    @Test func loginNeedsEmailAndPassword() async throws {
        try await withAPI { api, _ in
            let response = try await api.send(.post, "/v1/login", json: ["email": 5])
            #expect(response.status == .badRequest)
            #expect(Set(response.errorPointers) == ["/email", "/password"])
        }
    }

    @Test func signupAndLoginAreRateLimitedPerClient() async throws {
        try await withAPI(authenticationRate: .init(burst: 3, refillInterval: 60)) { api, _ in
            for _ in 0..<3 {
                _ = try await api.send(.post, "/v1/login", json: ["email": "x@example.com", "password": "wrong password"])
            }
            let limited = try await api.send(.post, "/v1/signup", json: ["account_name": "A", "email": "a@example.com", "password": "correct horse battery"])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.isProblem)
            let retryAfter = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...60).contains(retryAfter))
        }
    }
}
