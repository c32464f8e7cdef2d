import Foundation
import Shared
import Testing

@testable import ControlPlane
import JSON

@Suite(.timeLimit(.minutes(2)))
struct PolicySimulationTests {
    static let runpodPolicy: JSONValue = [
        "version": "1", "default": "deny", "hide": ["delete-pod"],
        "tools": [
            "list-pods": [:],
            "stop-pod": ["limits": [["counter": "stop-pod_rate", "window": "minute", "max": 10, "scope": "grant"]]],
            "create-pod": [
                "require": [["conditions": [["path": "args.gpuCount", "op": "lte", "value": 2]], "on_deny": "At most 2 GPUs per pod."]],
                "approval": ["when": [["path": "args.gpuCount", "op": "gt", "value": 1]], "timeout": "15m"],
            ],
        ],
        "risk": ["read": "allow", "destructive": "hide"],
        "pin": "block",
    ]

    /// An admin, a server with a catalog, the policy, and a grant of it.
    private func setUp(_ api: APIClient, _ database: Database) async throws -> (Caller, policy: String, grant: String) {
        let admin = try await api.signup()
        let fixtures = Fixtures(database: database)
        let server = try await fixtures.server(of: admin)
        try await fixtures.tool("get-pod-logs", server: server, of: admin, risk: "read")
        try await fixtures.tool("purge-volumes", server: server, of: admin, risk: "destructive")
        try await fixtures.tool("list-pods", server: server, of: admin, risk: "read", approved: false)
        let policy = try await api.createPolicy(Self.runpodPolicy, by: admin)
        let grant = try #require(try await api.createGrant(server: server, policy: policy, by: admin)["id"]?.stringValue)
        return (admin, policy, grant)
    }

    private func simulate(_ api: APIClient, _ caller: Caller, policy: String, _ body: JSONValue) async throws -> APIResponse {
        try await api.send(.post, "/v1/policies/\(policy)/simulate", key: caller.key, json: body)
    }

    @Test func aListedToolIsAllowedAndShowsTheCountersItWouldReserve() async throws {
        try await withAPI { api, database in
            let (admin, policy, grant) = try await setUp(api, database)
            let allowed = try await simulate(api, admin, policy: policy, ["grant_id": .string(grant), "tool": "stop-pod", "arguments": ["podId": "p1"]])
            #expect(allowed.status == .ok)
            #expect(allowed["decision"] == "allow")
            #expect(allowed["code"] == .null)
            #expect(allowed["forwarded"] == false)
            let counter = try #require(allowed["counters"]?.arrayValue?.first)
            #expect(counter["counter"] == "stop-pod_rate")
            #expect(counter["rule"] == "/tools/stop-pod/limits/0")
            #expect(counter["scope_id"] == .string(grant))
            #expect(counter["max"] == 10)
            #expect(counter["current"] == 0)
            // Simulating consumes nothing.
            let stored: Int = try await database.query("SELECT count(*)::int AS n FROM counters")[0].decode("n")
            #expect(stored == 0)
        }
    }

    @Test func anExhaustedCounterTurnsTheDecisionIntoRateLimited() async throws {
        try await withAPI { api, database in
            let (admin, policy, grant) = try await setUp(api, database)
            try await Fixtures(database: database).counter("stop-pod_rate", grant: grant, of: admin, count: 10)
            let limited = try await simulate(api, admin, policy: policy, ["grant_id": .string(grant), "tool": "stop-pod"])
            #expect(limited["decision"] == "deny")
            #expect(limited["code"] == "rate_limited")
            #expect(limited["rule"] == "/tools/stop-pod/limits/0")
            #expect((limited["retry_after_s"]?.numberValue?.int64Value ?? 0) >= 1)
            #expect(limited["counters"]?.arrayValue?.first?["current"] == 10)
            #expect(limited["counters"]?.arrayValue?.first?["exhausted"] == true)
        }
    }

    @Test func unlistedToolsFallToTheDefaultOrTheirRiskClass() async throws {
        try await withAPI { api, database in
            let (admin, policy, grant) = try await setUp(api, database)
            let unknown = try await simulate(api, admin, policy: policy, ["grant_id": .string(grant), "tool": "rename-pod"])
            #expect(unknown["decision"] == "deny")
            #expect(unknown["code"] == "default_deny")
            #expect(unknown["rule"] == "(default deny)")
            #expect(unknown["catalog"]?["known"] == false)

            let read = try await simulate(api, admin, policy: policy, ["grant_id": .string(grant), "tool": "get-pod-logs"])
            #expect(read["decision"] == "allow")
            #expect(read["catalog"]?["risk_class"] == "read")
        }
    }

    @Test func aFailedRequireNamesItsRuleAndMessage() async throws {
        try await withAPI { api, database in
            let (admin, policy, grant) = try await setUp(api, database)
            let refused = try await simulate(api, admin, policy: policy, ["grant_id": .string(grant), "tool": "create-pod", "arguments": ["gpuCount": 4]])
            #expect(refused["decision"] == "deny")
            #expect(refused["code"] == "require_failed")
            #expect(refused["rule"] == "/tools/create-pod/require/0")
            #expect(refused["message"] == "At most 2 GPUs per pod.")

            let held = try await simulate(api, admin, policy: policy, ["grant_id": .string(grant), "tool": "create-pod", "arguments": ["gpuCount": 2]])
            #expect(held["decision"] == "approval_required")
            #expect(held["approval"]?["timeout_s"] == 900)
        }
    }

    @Test func hiddenToolsLookUnknownAndUnapprovedDefinitionsArePinned() async throws {
        try await withAPI { api, database in
            let (admin, policy, grant) = try await setUp(api, database)
            for tool in ["delete-pod", "purge-volumes"] {
                let hidden = try await simulate(api, admin, policy: policy, ["grant_id": .string(grant), "tool": .string(tool)])
                #expect(hidden["decision"] == "hidden")
                #expect(hidden["rule"] == "(hidden)")
                #expect(hidden["message"] == .string("Unknown tool: \(tool)"))
            }
            let pinned = try await simulate(api, admin, policy: policy, ["grant_id": .string(grant), "tool": "list-pods"])
            #expect(pinned["code"] == "pin_blocked")
            #expect(pinned["catalog"]?["definition_approved"] == false)
        }
    }

    @Test func simulationNeedsAKnownSubjectAndATool() async throws {
        try await withAPI { api, database in
            let (admin, policy, _) = try await setUp(api, database)
            let stranger = try await api.signup("Stranger")
            let strangerIdentity = try await api.createIdentity(by: stranger)
            let bad = try await simulate(api, admin, policy: policy, ["identity_id": .string(strangerIdentity), "arguments": []])
            #expect(bad.status == .badRequest)
            #expect(Set(bad.errorPointers) == ["/tool", "/arguments"])
            let foreign = try await simulate(api, admin, policy: policy, ["identity_id": .string(strangerIdentity), "tool": "list-pods"])
            #expect(foreign.errorPointers == ["/identity_id"])
            let byIdentity = try await simulate(api, admin, policy: policy, ["identity_id": .string(try await api.createIdentity("bob", by: admin)), "tool": "rename-pod"])
            #expect(byIdentity["code"] == "default_deny")
        }
    }
}
