import Foundation
import HummingbirdTesting
import Logging
import Prometheus
import Shared
import TestSupport
import Testing

@testable import ControlPlane
import JSON

/// Issue 10 items 12 and 15: one tenant cannot starve the others through the admin API, the
/// simulator or the size of what it stores.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialTenantBoundsTests {
    @Test func theAdminAPIIsRateLimitedPerAccountWithRetryAfter() async throws {
        try await withAPI(configure: { $0.adminRequestRate = .perMinute(3) }) { api, _ in
            let noisy = try await api.signup("Noisy")
            let quiet = try await api.signup("Quiet")
            for _ in 0..<3 {
                #expect(try await api.send(.get, "/v1/account", key: noisy.key).status == .ok)
            }
            let limited = try await api.send(.get, "/v1/account", key: noisy.key)
            #expect(limited.status == .tooManyRequests && limited.isProblem)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try await api.send(.get, "/v1/account", key: quiet.key).status == .ok)
        }
    }

    @Test func simulationsAreRateLimitedPerAccount() async throws {
        try await withAPI(configure: { $0.simulationRate = .perMinute(2) }) { api, _ in
            let admin = try await api.signup()
            let policy = try await api.createPolicy(["version": "1", "default": "allow"], by: admin)
            for _ in 0..<2 {
                #expect(try await api.send(.post, "/v1/policies/\(policy)/simulate", key: admin.key, json: ["tool": "list-pods"]).status == .ok)
            }
            let limited = try await api.send(.post, "/v1/policies/\(policy)/simulate", key: admin.key, json: ["tool": "list-pods"])
            #expect(limited.status == .tooManyRequests && limited.isProblem && limited.headers[.retryAfter] != nil)
            // Reading the policy is not a simulation.
            #expect(try await api.send(.get, "/v1/policies/\(policy)", key: admin.key).status == .ok)
        }
    }

    @Test func identitiesBeyondTheAccountLimitAreRefusedWithAProblemNamingTheLimit() async throws {
        try await withAPI { api, database in
            try await database.execute("UPDATE account_limits SET identities = 2")
            let full = try await api.signup("Full")
            let other = try await api.signup("Other")
            for label in ["a", "b"] {
                #expect(try await api.send(.post, "/v1/identities", key: full.key, json: ["label": .string(label)]).status == .created)
            }
            let refused = try await api.send(.post, "/v1/identities", key: full.key, json: ["label": "c"])
            #expect(refused.status == .conflict && refused.isProblem)
            #expect(refused["detail"]?.stringValue?.contains("identities (2)") == true)
            #expect(try await api.send(.post, "/v1/identities", key: other.key, json: ["label": "a"]).status == .created)
        }
    }

    @Test func livePoliciesAreBoundedPerAccountAndADeletedOneFreesItsPlace() async throws {
        try await withAPI { api, database in
            try await database.execute("UPDATE account_limits SET policies = 1")
            let admin = try await api.signup()
            let first = try await api.createPolicy(["version": "1", "default": "deny"], by: admin)
            let second: JSONValue = ["name": "second", "document": ["version": "1", "default": "deny"]]
            #expect(try await api.send(.post, "/v1/policies", key: admin.key, json: second).status == .conflict)
            #expect(try await api.send(.delete, "/v1/policies/\(first)", key: admin.key).status == .noContent)
            #expect(try await api.send(.post, "/v1/policies", key: admin.key, json: second).status == .created)
        }
    }

    @Test func aPolicyDocumentOverTheSizeLimitIsRefusedAtItsPointer() async throws {
        try await withAPI(configure: { $0.accountLimits.policyBytes = 200 }) { api, _ in
            let admin = try await api.signup()
            let tools = JSONValue.object(JSONObject((0..<20).map { ("tool-\($0)", JSONValue.object(JSONObject())) }))
            let big: JSONValue = ["name": "big", "document": ["version": "1", "default": "deny", "tools": tools]]
            let refused = try await api.send(.post, "/v1/policies", key: admin.key, json: big)
            #expect(refused.status == .badRequest && refused.errorPointers == ["/document"])
            let small: JSONValue = ["name": "small", "document": ["version": "1", "default": "deny"]]
            #expect(try await api.send(.post, "/v1/policies", key: admin.key, json: small).status == .created)
        }
    }

    @Test func serversBeyondTheAccountLimitAreRefusedWithAProblemNamingTheLimit() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await database.execute("UPDATE account_limits SET servers = 1")
            try await FakeCatalogUpstream.run(tools: [FakeCatalogUpstream.tool("echo")]) { upstream in
                let full = try await api.signup("Full")
                let other = try await api.signup("Other")
                _ = try await api.registerServer("first", url: upstream.url, by: full)
                let refused = try await api.send(.post, "/v1/servers", key: full.key, json: ["name": "second", "url": .string(upstream.url)])
                #expect(refused.status == .conflict && refused.isProblem)
                #expect(refused["detail"]?.stringValue?.contains("servers (1)") == true)
                _ = try await api.registerServer("first", url: upstream.url, by: other)
            }
        }
    }

    @Test func liveGrantsAreBoundedPerAccountAndARevokedOneFreesItsPlace() async throws {
        try await withAPI { api, database in
            try await database.execute("UPDATE account_limits SET grants = 1")
            let admin = try await api.signup()
            let server = try await Fixtures(database: database).server(of: admin)
            let first = try await api.createGrant(server: server, by: admin, label: "first")
            #expect(first.status == .created)
            let refused = try await api.createGrant(server: server, by: admin, label: "second")
            #expect(refused.status == .conflict && refused.isProblem)
            #expect(refused["detail"]?.stringValue?.contains("grants (1)") == true)
            let firstID = try #require(first["id"]?.stringValue)
            #expect(try await api.send(.delete, "/v1/grants/\(firstID)", key: admin.key).status == .noContent)
            #expect(try await api.createGrant(server: server, by: admin, label: "third").status == .created)
        }
    }

    /// Workers insert approvals as the table owner, not through the API: the bound holds there too.
    @Test func pendingApprovalsBeyondTheLimitAreRefusedByTheDatabaseItself() async throws {
        try await withAPI { api, database in
            try await database.execute("UPDATE account_limits SET pending_approvals = 2")
            let admin = try await api.signup()
            let fixtures = Fixtures(database: database)
            let server = try await fixtures.server(of: admin)
            let policy = try await api.createPolicy(["version": "1", "default": "allow"], by: admin)
            let grant = try #require(try await api.createGrant(server: server, policy: policy, by: admin)["id"]?.stringValue)
            let first = try await fixtures.approval(grant: grant, of: admin)
            _ = try await fixtures.approval(grant: grant, of: admin)
            let error = await #expect(throws: DatabaseError.self) { _ = try await fixtures.approval(grant: grant, of: admin) }
            #expect(error?.sqlState == .programLimitExceeded)
            // A decided request no longer counts.
            try await database.execute("UPDATE approvals SET status = 'denied', decided_at = now() WHERE id = \(UUID(uuidString: first)!)")
            _ = try await fixtures.approval(grant: grant, of: admin)
        }
    }

    @Test func discoveryRefusesAServerListingMoreToolsThanTheLimit() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await database.execute("UPDATE account_limits SET tools_per_server = 2")
            let tools = (0..<3).map { FakeCatalogUpstream.tool("tool-\($0)") }
            try await FakeCatalogUpstream.run(tools: tools) { upstream in
                let admin = try await api.signup()
                let server = try await api.registerServer(url: upstream.url, by: admin)
                #expect(server["status"] == "refused")
                #expect(server["status_detail"]?.stringValue?.contains("limit of 2") == true)
                #expect(try await api.tools(of: server.objectID, by: admin).isEmpty)
            }
        }
    }

    @Test func aBodyThatDoesNotArriveInTimeIsAnswered408() async throws {
        try await withLiveAPI(configure: { $0.bodyReadTimeout = .seconds(1) }) { _, port, _ in
            let answer = try await rawExchange(port: port, """
                POST /v1/signup HTTP/1.1\r
                Host: localhost\r
                Content-Type: application/json\r
                Content-Length: 100\r
                \r
                {"account_name":
                """)
            #expect(answer.text.hasPrefix("HTTP/1.1 408"))
            #expect(answer.text.contains("application/problem+json"))
        }
    }

    /// The application as `controlplane serve` builds it, from its flags.
    @Test func aClientThatNeverFinishesItsHeadersIsDisconnectedAtTheIdleTimeout() async throws {
        try await withTestDatabase { _, conninfo in
            let app = try await buildApplication(
                options: try ControlPlaneOptions.parse(["--idle-timeout", "1"]),
                common: try CommonOptions.parse(["--database-url", conninfo]),
                metrics: PrometheusCollectorRegistry(), logger: Logger(label: "test"))
            try await app.test(.live) { client in
                let port = try #require(client.port)
                // Without an idle timeout the server waits for the rest of the headers forever,
                // and the read ends at the exchange's own safety net with the connection open.
                let answer = try await rawExchange(port: port, "GET /health HTTP/1.1\r\nHost: localhost\r\n")
                #expect(answer.closedByServer)
            }
        }
    }
}
