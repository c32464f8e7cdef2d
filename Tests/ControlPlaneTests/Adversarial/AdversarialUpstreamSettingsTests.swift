import Foundation
import Shared
import TestSupport
import Testing

@testable import ControlPlane
import JSON

/// Issue 10 item 9, at the control plane: what a hostile tenant admin may configure toward
/// upstreams and webhooks.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialUpstreamSettingsTests {
    static let resolver = TableHostResolver(table: ["internal.example": [IPAddress("10.0.0.1")!]])

    /// The installation allows plain http but no special-purpose range at all.
    static func strictGuard(_ configuration: inout APIConfiguration) {
        allowLoopbackUpstreams(&configuration)
        configuration.upstreamAddressGuard = UpstreamAddressGuard(policy: UpstreamAddressPolicy(allowsPlainHTTP: true), resolver: resolver)
    }

    @Test(arguments: [
        "Metadata-Flavor", "X-aws-ec2-metadata-token", "X-Google-Metadata-Request", "Metadata", "X-Identity-Header",
        "Keep-Alive", "Proxy-Authorization", "Connection", "Transfer-Encoding", "Host",
    ])
    func metadataAndHopByHopAuthHeadersAreRefusedAtRegistration(header: String) async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            let admin = try await api.signup()
            let refused = try await api.send(.post, "/v1/servers", key: admin.key, json: [
                "name": "x", "url": "http://127.0.0.1:9/mcp",
                "auth": ["type": "headers", "headers": .object(JSONObject([(header, "v"), ("X-Api-Key", "k")]))],
            ])
            #expect(refused.status == .badRequest && refused.isProblem)
            #expect(refused.errorPointers == ["/auth/headers/\(header)"], "\(refused.bodyText)")
            #expect(try await database.query("SELECT 1 FROM servers").isEmpty)
        }
    }

    @Test(arguments: ["https://169.254.169.254/hook", "https://10.0.0.1/hook", "https://[::1]/hook", "https://internal.example/hook"])
    func internalWebhookURLIsRefusedWhenSet(url: String) async throws {
        try await withAPI(configure: Self.strictGuard) { api, _ in
            let admin = try await api.signup()
            let refused = try await api.send(.patch, "/v1/account", key: admin.key, json: ["approval_webhook_url": .string(url)])
            #expect(refused.status == .badRequest && refused.isProblem)
            #expect(refused.errorPointers == ["/approval_webhook_url"])
            #expect(try await api.send(.get, "/v1/account", key: admin.key)["approval_webhook_url"] == .null)
        }
    }

    @Test func tenantCannotGrantItselfUpstreamRanges() async throws {
        try await withAPI(configure: Self.strictGuard) { api, database in
            let admin = try await api.signup()
            let refused = try await api.send(.patch, "/v1/account", key: admin.key, json: ["allowed_upstream_cidrs": ["10.0.0.0/8"]])
            #expect(refused.status == .badRequest && refused.errorPointers == ["/allowed_upstream_cidrs"])
            // Even SQL that reaches the database as the admin API's role cannot write the column.
            await #expect(throws: (any Error).self) {
                try await database.transaction { tx in
                    try await tx.execute("SET LOCAL ROLE portcullis_app")
                    try await tx.execute("SELECT set_config('portcullis.account_id', \(admin.accountID), true)")
                    try await tx.execute("UPDATE accounts SET allowed_upstream_cidrs = '{10.0.0.0/8}'")
                }
            }
            #expect(try await api.send(.get, "/v1/account", key: admin.key)["allowed_upstream_cidrs"] == [])
        }
    }

    @Test func operatorAllowanceAppliesToItsAccountOnly() async throws {
        try await withAPI(configure: Self.strictGuard) { api, database in
            try await FakeCatalogUpstream.run(tools: [FakeCatalogUpstream.tool("list-pods")]) { upstream in
                let allowed = try await api.signup("Allowed")
                let other = try await api.signup("Other")
                // What `controlplane account-upstream-cidrs` writes, connected as the owner.
                try await database.execute(
                    "UPDATE accounts SET allowed_upstream_cidrs = '{127.0.0.0/8}' WHERE id = \(UUID(uuidString: allowed.accountID)!)")
                #expect(try await api.send(.get, "/v1/account", key: allowed.key)["allowed_upstream_cidrs"] == ["127.0.0.0/8"])
                let server = try await api.registerServer(url: upstream.url, by: allowed)
                #expect(server["status"] == "active")
                let refused = try await api.send(.post, "/v1/servers", key: other.key, json: ["name": "x", "url": .string(upstream.url)])
                #expect(refused.status == .badRequest && refused.errorPointers == ["/url"])
                let hook = "http://127.0.0.1:9/hook"
                #expect(try await api.send(.patch, "/v1/account", key: allowed.key, json: ["approval_webhook_url": .string(hook)]).status == .ok)
                #expect(try await api.send(.patch, "/v1/account", key: other.key, json: ["approval_webhook_url": .string(hook)]).status == .badRequest)
            }
        }
    }

    @Test func discoveryFailureNeverNamesTheResolvedAddress() async throws {
        let port = try freeLoopbackPort()
        try await withAPI(configure: { configuration in
            allowLoopbackUpstreams(&configuration)
            let policy = UpstreamAddressPolicy(allowsPlainHTTP: true, allowedNetworks: [IPNetwork("127.0.0.0/8")!])
            configuration.upstreamAddressGuard = UpstreamAddressGuard(
                policy: policy, resolver: TableHostResolver(table: ["closed.example": [IPAddress("127.0.0.1")!]]))
        }) { api, _ in
            let admin = try await api.signup()
            let server = try await api.registerServer(url: "http://closed.example:\(port)/mcp", by: admin)
            #expect(server["status"] == "unreachable")
            let detail = server["status_detail"]?.stringValue ?? ""
            #expect(detail.contains("unreachable"), "\(detail)")
            #expect(!detail.contains("127.0.0.1") && !detail.contains("\(port)"), "\(detail)")
        }
    }
}
