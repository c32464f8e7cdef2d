import Foundation
import Shared
import Testing

@testable import ControlPlane

/// The admin API's edges: every failure is problem+json, bodies are read strictly.
@Suite(.timeLimit(.minutes(2)))
struct RequestValidationTests {
    @Test func malformedJSONIsABadRequestWithAPointer() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let response = try await api.send(.post, "/v1/identities", key: admin.key, raw: #"{"label": "x", "metadata": {"a": tru}}"#)
            #expect(response.status == .badRequest)
            #expect(response.isProblem)
            #expect(response.errorPointers == ["/metadata/a"])
        }
    }

    @Test func duplicateKeysAndNonObjectsAreRefused() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let duplicate = try await api.send(.post, "/v1/identities", key: admin.key, raw: #"{"label": "a", "label": "b"}"#)
            #expect(duplicate.status == .badRequest && duplicate.isProblem)
            let array = try await api.send(.post, "/v1/identities", key: admin.key, raw: "[1]")
            #expect(array.status == .badRequest && array.errorPointers == [""])
            let empty = try await api.send(.post, "/v1/identities", key: admin.key, raw: "")
            #expect(empty.status == .badRequest && empty.isProblem)
        }
    }

    @Test func wrongTypesAndUnknownFieldsEachGetAPointer() async throws {
        try await withAPI { api, _ in
            let response = try await api.send(.post, "/v1/signup", json: ["account_name": ["x"], "email": true, "password": 12345678901, "referrer": "me", "a/b": 1])
            #expect(response.status == .badRequest)
            #expect(Set(response.errorPointers) == ["/account_name", "/email", "/password", "/referrer", "/a~1b"])
            let messages = response["errors"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            #expect(messages.contains("must be a string, got an array"))
            #expect(messages.contains("is not a known field"))
        }
    }

    @Test func anOversizedBodyIsRefused() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let huge = #"{"label": ""# + String(repeating: "x", count: 3 << 20) + #""}"#
            let response = try await api.send(.post, "/v1/identities", key: admin.key, raw: huge)
            #expect(response.status == .contentTooLarge)
            #expect(response.isProblem)
        }
    }

    @Test func missingOrBadCredentialsAreAChallengedUnauthorized() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let forged = SecretToken.generate(.apiKey).text
            let corrupted = String(admin.key.dropLast()) + (admin.key.hasSuffix("0") ? "1" : "0")
            for key in [nil, "pcs_ak_short", forged, corrupted, SecretToken.generate(.grant).text] {
                let response = try await api.send(.get, "/v1/members", key: key)
                #expect(response.status == .unauthorized, "\(String(describing: key))")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                #expect(response.isProblem)
            }
        }
    }

    @Test func unknownRoutesAreProblemsToo() async throws {
        try await withAPI { api, _ in
            let response = try await api.send(.get, "/v1/nothing-here")
            #expect(response.status == .notFound)
            #expect(response.isProblem)
            #expect(try await api.send(.get, "/healthz").status == .ok)
        }
    }
}

@Suite(.timeLimit(.minutes(2)))
struct StoredTextValidationTests {
    @Test func nulCharactersAnywhereInABodyAreRefusedAtTheirPointer() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let response = try await api.send(.post, "/v1/identities", key: admin.key,
                                              raw: #"{"label": "ci", "metadata": {"tags": ["ok", "bad\u0000tail"]}}"#)
            #expect(response.status == .badRequest)
            #expect(response.errorPointers == ["/metadata/tags/1"])
            let list = try await api.send(.get, "/v1/identities", key: admin.key)
            #expect(list["items"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test(arguments: ["0@.", "a@b", "a@b..c", "@b.c", "a b@c.d", "a@.b.c", "a@b.c*"])
    func malformedEmailsAreRefused(email: String) async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let response = try await api.send(.post, "/v1/members", key: admin.key,
                                              json: ["email": .string(email), "password": "correct horse battery", "role": "viewer"])
            #expect(response.status == .badRequest)
            #expect(response.errorPointers == ["/email"])
        }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct NameLengthTests {
    @Test func namesAreMeasuredInCodePointsAsTheDatabaseDoes() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            // 150 characters of two code points each: 300 code points, over the limit of 200.
            let label = String(repeating: "e\u{301}", count: 150)
            let response = try await api.send(.post, "/v1/identities", key: admin.key, json: ["label": .string(label)])
            #expect(response.status == .badRequest)
            #expect(response.errorPointers == ["/label"])
        }
    }
}
