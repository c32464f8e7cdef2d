import Foundation
import Shared
import Testing

@testable import ControlPlane

@Suite(.timeLimit(.minutes(2)))
struct MembersTests {
    @Test func adminsAddListAndChangeMembers() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let viewer = try await api.addMember("viewer", by: admin)
            let list = try await api.send(.get, "/v1/members", key: admin.key)
            #expect(list.status == .ok)
            #expect(list["items"]?.arrayValue?.count == 2)
            #expect(list["next_cursor"] == .null)
            let promoted = try await api.send(.patch, "/v1/members/\(viewer.memberID)", key: admin.key, json: ["role": "policy_manager"])
            #expect(promoted.status == .ok)
            #expect(promoted["role"] == "policy_manager")
            // The new role holds for the member's existing keys at once.
            #expect(try await api.send(.get, "/v1/members", key: viewer.key).status == .ok)
        }
    }

    @Test func aNewPasswordReplacesTheOld() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let member = try await api.addMember("viewer", by: admin)
            let changed = try await api.send(.patch, "/v1/members/\(member.memberID)", key: admin.key, json: ["password": "another good password"])
            #expect(changed.status == .ok)
            #expect(changed["password"] == nil && changed["password_hash"] == nil)
            let old = try await api.send(.post, "/v1/login", json: ["email": .string(member.email), "password": "correct horse battery"])
            let new = try await api.send(.post, "/v1/login", json: ["email": .string(member.email), "password": "another good password"])
            #expect(old.status == .unauthorized)
            #expect(new.status == .ok)
        }
    }

    @Test func onlyAdminsChangeMembers() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            for role in ["policy_manager", "viewer"] {
                let caller = try await api.addMember(role, by: admin)
                #expect(try await api.send(.get, "/v1/members", key: caller.key).status == .ok)
                let add = try await api.send(.post, "/v1/members", key: caller.key, json: ["email": "x@example.com", "password": "correct horse battery", "role": "admin"])
                #expect(add.status == .forbidden && add.isProblem, "\(role)")
                #expect(try await api.send(.patch, "/v1/members/\(caller.memberID)", key: caller.key, json: ["role": "admin"]).status == .forbidden)
                #expect(try await api.send(.delete, "/v1/members/\(admin.memberID)", key: caller.key).status == .forbidden)
            }
        }
    }

    @Test func aMemberWithATakenEmailIsAConflict() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let response = try await api.send(.post, "/v1/members", key: admin.key, json: ["email": .string(admin.email), "password": "correct horse battery", "role": "viewer"])
            #expect(response.status == .conflict)
        }
    }

    @Test func anUnknownRoleIsNamedInTheProblem() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let response = try await api.send(.post, "/v1/members", key: admin.key, json: ["email": "x@example.com", "password": "correct horse battery", "role": "owner"])
            #expect(response.status == .badRequest)
            #expect(response.errorPointers == ["/role"])
            #expect(response["errors"]?.arrayValue?.first?["message"]?.stringValue?.contains("policy_manager") == true)
        }
    }

    @Test func adminsCannotRemoveThemselvesOrTheLastAdmin() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let removeSelf = try await api.send(.delete, "/v1/members/\(admin.memberID)", key: admin.key)
            #expect(removeSelf.status == .conflict)
            let demoteSelf = try await api.send(.patch, "/v1/members/\(admin.memberID)", key: admin.key, json: ["role": "viewer"])
            #expect(demoteSelf.status == .conflict)
            let second = try await api.addMember("admin", by: admin)
            #expect(try await api.send(.patch, "/v1/members/\(admin.memberID)", key: second.key, json: ["role": "viewer"]).status == .ok)
            // `admin` is now a viewer; `second` is the last admin and cannot step down.
            #expect(try await api.send(.patch, "/v1/members/\(second.memberID)", key: second.key, json: ["role": "viewer"]).status == .conflict)
        }
    }

    @Test func removingAMemberRevokesTheirKeys() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let viewer = try await api.addMember("viewer", by: admin)
            #expect(try await api.send(.delete, "/v1/members/\(viewer.memberID)", key: admin.key).status == .noContent)
            #expect(try await api.send(.get, "/v1/members", key: viewer.key).status == .unauthorized)
            #expect(try await api.send(.delete, "/v1/members/\(viewer.memberID)", key: admin.key).status == .notFound)
        }
    }

    @Test func listsArePagedWithAnOpaqueCursor() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            for _ in 0..<4 { _ = try await api.addMember("viewer", by: admin) }
            var seen: [String] = []
            var path = "/v1/members?limit=2"
            while true {
                let page = try await api.send(.get, path, key: admin.key)
                #expect(page.status == .ok)
                seen += page["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                guard let cursor = page["next_cursor"]?.stringValue else { break }
                path = "/v1/members?limit=2&cursor=\(cursor)"
            }
            #expect(seen.count == 5 && Set(seen).count == 5)
            #expect(try await api.send(.get, "/v1/members?limit=0", key: admin.key).status == .badRequest)
            #expect(try await api.send(.get, "/v1/members?limit=201", key: admin.key).status == .badRequest)
            #expect(try await api.send(.get, "/v1/members?cursor=garbage", key: admin.key).status == .badRequest)
        }
    }
}
