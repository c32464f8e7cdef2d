import Foundation
import Hummingbird
import Shared
import TestSupport
import Testing

@testable import ControlPlane
import JSON

/// `/v1/servers`: registration with sealed credentials and the SSRF guard, reads, changes, roles
/// and tenant isolation.
@Suite(.timeLimit(.minutes(2)))
struct ServersAPITests {
    static let tools = [FakeCatalogUpstream.tool("list-pods"), FakeCatalogUpstream.tool("stop-pod")]

    @Test func registeredServerIsListedShownChangedAndDeleted() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let admin = try await api.signup()
                let created = try await api.registerServer(url: upstream.url, by: admin)
                #expect(created["name"] == "runpod" && created["url"] == .string(upstream.url))
                #expect(created["status"] == "active" && created["status_detail"] == .null)
                #expect(created["transport"] == "streamable-http" && created["auth"] == ["type": "none"])
                #expect(created["timeouts"] == ["connect_ms": 5000, "first_byte_ms": 60000, "idle_ms": 300000])
                let id = created.objectID

                let list = try await api.send(.get, "/v1/servers", key: admin.key)
                #expect(list["items"]?.arrayValue?.map { $0["id"] } == [.string(id)] && list["next_cursor"] == .null)
                #expect(try await api.send(.get, "/v1/servers/\(id)", key: admin.key)["name"] == "runpod")

                let patched = try await api.send(.patch, "/v1/servers/\(id)", key: admin.key, json: [
                    "name": "runpod-prod", "description": "GPU pods", "timeouts": ["connect_ms": 2000],
                ])
                #expect(patched.status == .ok)
                #expect(patched["name"] == "runpod-prod" && patched["description"] == "GPU pods")
                #expect(patched["timeouts"] == ["connect_ms": 2000, "first_byte_ms": 60000, "idle_ms": 300000])

                #expect(try await api.send(.delete, "/v1/servers/\(id)", key: admin.key).status == .noContent)
                #expect(try await api.send(.get, "/v1/servers/\(id)", key: admin.key).status == .notFound)
                #expect(try await api.send(.delete, "/v1/servers/\(id)", key: admin.key).status == .notFound)
            }
        }
    }

    @Test func listIsPaginated() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let admin = try await api.signup()
                for name in ["a", "b", "c"] { _ = try await api.registerServer(name, url: upstream.url, by: admin) }
                let first = try await api.send(.get, "/v1/servers?limit=2", key: admin.key)
                #expect(first["items"]?.arrayValue?.map { $0["name"] } == ["a", "b"])
                let cursor = try #require(first["next_cursor"]?.stringValue)
                let second = try await api.send(.get, "/v1/servers?limit=2&cursor=\(cursor)", key: admin.key)
                #expect(second["items"]?.arrayValue?.map { $0["name"] } == ["c"] && second["next_cursor"] == .null)
            }
        }
    }

    @Test func credentialsReachTheUpstreamButNeverAResponseOrTheAdminAudit() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let admin = try await api.signup()
                let bearer = try await api.registerServer(
                    "bearer", url: upstream.url, auth: ["type": "bearer", "token": "tok-SECRET-1"], by: admin)
                let headers = try await api.registerServer(
                    "headers", url: upstream.url, auth: ["type": "headers", "headers": ["X-Api-Key": "key-SECRET-2"]], by: admin)
                #expect(bearer["auth"] == ["type": "bearer"] && headers["auth"] == ["type": "headers"])
                #expect(upstream.credentialsSeen.contains("Bearer tok-SECRET-1") && upstream.credentialsSeen.contains("key-SECRET-2"))

                let rotated = try await api.send(.patch, "/v1/servers/\(bearer.objectID)", key: admin.key, json: [
                    "auth": ["type": "bearer", "token": "tok-SECRET-3"],
                ])
                #expect(rotated.status == .ok && upstream.credentialsSeen.last == "Bearer tok-SECRET-3")

                var seen = [bearer.bodyText, headers.bodyText, rotated.bodyText]
                seen.append(try await api.send(.get, "/v1/servers", key: admin.key).bodyText)
                seen.append(try await api.send(.get, "/v1/servers/\(headers.objectID)", key: admin.key).bodyText)
                seen.append(try await api.send(.get, "/v1/admin-audit?limit=200", key: admin.key).bodyText)
                let auditRows = try await database.query("SELECT coalesce(before::text, '') || coalesce(after::text, '') AS text FROM admin_audit")
                seen += try auditRows.map { try $0.decode("text", as: String.self) }
                let stored = try await database.query("SELECT encode(credentials_ciphertext, 'escape') AS text FROM servers WHERE auth_type <> 'none'")
                seen += try stored.map { try $0.decode("text", as: String.self) }
                #expect(auditRows.count >= 3)
                for text in seen {
                    for secret in ["SECRET-1", "SECRET-2", "SECRET-3"] { #expect(!text.contains(secret)) }
                }
            }
        }
    }

    @Test func withoutSecretKeysOnlyServersWithoutCredentialsRegister() async throws {
        try await withAPI(configure: { allowLoopbackUpstreams(&$0); $0.credentialSealer = nil }) { api, _ in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let admin = try await api.signup()
                let refused = try await api.send(.post, "/v1/servers", key: admin.key, json: [
                    "name": "x", "url": .string(upstream.url), "auth": ["type": "bearer", "token": "t"],
                ])
                #expect(refused.status == .serviceUnavailable && refused.isProblem)
                _ = try await api.registerServer(url: upstream.url, by: admin)
            }
        }
    }

    @Test func unreachableUpstreamStillRegistersWithTheReason() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            let admin = try await api.signup()
            // Port 1 on loopback: nothing listens, the connection is refused at once.
            let created = try await api.registerServer(url: "http://127.0.0.1:1/mcp", by: admin)
            #expect(created["status"] == "unreachable")
            #expect(created["status_detail"]?.stringValue?.contains("Discovery failed") == true)
            #expect(try await api.tools(of: created.objectID, by: admin).isEmpty)
        }
    }

    @Test(arguments: [
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address (cloud metadata)"),
        ("https://127.0.0.1/mcp", "127.0.0.1 is a loopback address"),
        ("https://[::1]/mcp", "::1 is a loopback address"),
        ("https://[::ffff:127.0.0.1]/mcp", "::ffff:127.0.0.1 is IPv4-mapped 127.0.0.1, a loopback address"),
        ("https://2130706433/mcp", "127.0.0.1 is a loopback address"),
        ("https://0x7f.1/mcp", "127.0.0.1 is a loopback address"),
        ("https://internal.example/mcp", "internal.example resolves to a private address"),
        ("http://public.example/mcp", "plain http upstreams are not allowed by the operator; use https"),
    ])
    func ssrfGuardRefusesRegistrationWithTheReason(url: String, reason: String) async throws {
        let resolver = TableHostResolver(table: ["internal.example": [IPAddress("10.0.0.1")!], "public.example": [IPAddress("93.184.215.14")!]])
        try await withAPI(configure: { $0.upstreamAddressGuard = UpstreamAddressGuard(policy: UpstreamAddressPolicy(), resolver: resolver) }) { api, database in
            let admin = try await api.signup()
            let refused = try await api.send(.post, "/v1/servers", key: admin.key, json: ["name": "x", "url": .string(url)])
            #expect(refused.status == .badRequest && refused.isProblem)
            #expect(refused.errorPointers == ["/url"])
            #expect(refused["errors"]?.arrayValue?.first?["message"] == .string(reason))
            #expect(refused["detail"]?.stringValue?.contains(reason) == true)
            #expect(try await database.query("SELECT 1 FROM servers").isEmpty)
        }
    }

    @Test func changedURLPassesTheGuardAgain() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let admin = try await api.signup()
                let id = try await api.registerServer(url: upstream.url, by: admin).objectID
                let refused = try await api.send(.patch, "/v1/servers/\(id)", key: admin.key, json: ["url": "https://169.254.169.254/"])
                #expect(refused.status == .badRequest && refused.errorPointers == ["/url"])
                #expect(try await api.send(.get, "/v1/servers/\(id)", key: admin.key)["url"] == .string(upstream.url))
            }
        }
    }

    @Test func invalidBodiesNameEveryProblem() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            let admin = try await api.signup()
            let cases: [(JSONValue, [String])] = [
                (["extra": 1], ["/name", "/url", "/extra"]),
                (["name": "x", "url": "http://127.0.0.1:1/", "auth": ["type": "basic"]], ["/auth/type"]),
                (["name": "x", "url": "http://127.0.0.1:1/", "auth": ["type": "bearer"]], ["/auth/token"]),
                (["name": "x", "url": "http://127.0.0.1:1/", "auth": ["type": "none", "token": "t"]], ["/auth/token"]),
                (["name": "x", "url": "http://127.0.0.1:1/", "auth": ["type": "headers", "headers": ["Host": "evil", "Bad Name": "v", "X-Ok": 1]]],
                 ["/auth/headers/Host", "/auth/headers/Bad Name", "/auth/headers/X-Ok"]),
                (["name": "x", "url": "http://127.0.0.1:1/", "timeouts": ["connect_ms": 0, "idle": 5]], ["/timeouts/connect_ms", "/timeouts/idle"]),
            ]
            for (body, pointers) in cases {
                let response = try await api.send(.post, "/v1/servers", key: admin.key, json: body)
                #expect(response.status == .badRequest && response.isProblem)
                #expect(Set(response.errorPointers) == Set(pointers), "for \(body.serialized())")
            }
        }
    }

    @Test func namesAreUniquePerAccount() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let admin = try await api.signup()
                _ = try await api.registerServer(url: upstream.url, by: admin)
                let again = try await api.send(.post, "/v1/servers", key: admin.key, json: ["name": "runpod", "url": .string(upstream.url)])
                #expect(again.status == .conflict)
                let other = try await api.signup("Other")
                _ = try await api.registerServer(url: upstream.url, by: other)
            }
        }
    }

    @Test func rolesDecideWhoRegistersAndWhoDiscovers() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let admin = try await api.signup()
                let manager = try await api.addMember("policy_manager", by: admin)
                let viewer = try await api.addMember("viewer", by: admin)
                let id = try await api.registerServer(url: upstream.url, by: admin).objectID
                let body: JSONValue = ["name": "mine", "url": .string(upstream.url)]
                for caller in [manager, viewer] {
                    #expect(try await api.send(.post, "/v1/servers", key: caller.key, json: body).status == .forbidden)
                    #expect(try await api.send(.patch, "/v1/servers/\(id)", key: caller.key, json: ["name": "z"]).status == .forbidden)
                    #expect(try await api.send(.delete, "/v1/servers/\(id)", key: caller.key).status == .forbidden)
                    #expect(try await api.send(.patch, "/v1/servers/\(id)/tools/stop-pod", key: caller.key, json: ["risk_override": .null]).status == .forbidden)
                    #expect(try await api.send(.get, "/v1/servers/\(id)", key: caller.key).status == .ok)
                    #expect(try await api.send(.get, "/v1/servers/\(id)/tools", key: caller.key).status == .ok)
                    #expect(try await api.send(.get, "/v1/servers/\(id)/recommended-policy", key: caller.key).status == .ok)
                }
                #expect(try await api.send(.post, "/v1/servers/\(id)/discover", key: manager.key).status == .ok)
                #expect(try await api.send(.post, "/v1/servers/\(id)/discover", key: viewer.key).status == .forbidden)
                #expect(try await api.send(.get, "/v1/servers").status == .unauthorized)
            }
        }
    }

    @Test func anotherAccountsServerIsNotFound() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let owner = try await api.signup("Owner")
                let stranger = try await api.signup("Stranger")
                let id = try await api.registerServer(url: upstream.url, by: owner).objectID
                let requests: [(HTTPRequest.Method, String, JSONValue?)] = [
                    (.get, "/v1/servers/\(id)", nil), (.patch, "/v1/servers/\(id)", ["name": "mine"]), (.delete, "/v1/servers/\(id)", nil),
                    (.post, "/v1/servers/\(id)/discover", nil), (.get, "/v1/servers/\(id)/tools", nil),
                    (.patch, "/v1/servers/\(id)/tools/stop-pod", ["risk_override": .null]), (.get, "/v1/servers/\(id)/recommended-policy", nil),
                ]
                for (method, path, body) in requests {
                    let response = if let body { try await api.send(method, path, key: stranger.key, json: body) }
                        else { try await api.send(method, path, key: stranger.key) }
                    #expect(response.status == .notFound, "\(method) \(path)")
                }
                #expect(try await api.send(.get, "/v1/servers", key: stranger.key)["items"] == [])
                #expect(try await api.send(.get, "/v1/servers/\(id)", key: owner.key)["name"] == "runpod")
            }
        }
    }

    @Test func writesAreInTheChangeLogForWorkers() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeCatalogUpstream.run(tools: Self.tools) { upstream in
                let admin = try await api.signup()
                let id = try await api.registerServer(url: upstream.url, by: admin).objectID
                _ = try await api.send(.patch, "/v1/servers/\(id)", key: admin.key, json: ["name": "renamed"])
                _ = try await api.send(.delete, "/v1/servers/\(id)", key: admin.key)
                let changes = try await database.query("SELECT entity_kind, op FROM config_changes WHERE entity_id = \(UUID(uuidString: id)!) ORDER BY change")
                #expect(try changes.map { "\(try $0.decode("entity_kind", as: String.self)):\(try $0.decode("op", as: String.self))" }
                    == ["server:upsert", "server:upsert", "server:delete"])
                let toolDeletes = try await database.query("SELECT 1 FROM config_changes WHERE entity_kind = 'tool' AND op = 'delete'")
                #expect(toolDeletes.count == 2)
            }
        }
    }
}
