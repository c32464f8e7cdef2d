import Foundation
import JSON
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// Issue 14 items 1, 3, 5 and 6 end to end: a worker whose snapshot carries the control plane's
/// signing key and a member's OAuth authorization (through `OAuthSnapshotProxy`) answers MCP
/// clients as an OAuth protected resource, and records how each caller authenticated.
@Suite(.timeLimit(.minutes(3)))
struct OAuthGatewayTests {
    static let publicURL = "https://gateway.example"
    static let clientID = "https://client.example/oauth/client.json"

    struct Setup {
        let harness: GatewayHarness
        let upstream: FakeMCPUpstream
        let worker: GatewayWorker
        let proxy: OAuthSnapshotProxy
        let grant: GatewayHarness.Grant
        let mint: AccessTokenMint
        let authorization: SnapshotOAuthAuthorization

        var resource: String { "\(OAuthGatewayTests.publicURL)/mcp/\(grant.serverID.uuidString.lowercased())" }
        var path: String { "/mcp/\(grant.serverID.uuidString.lowercased())" }

        func token(scope: String = "mcp:read mcp:call") async throws -> String {
            try await mint.sign(mint.claims(authorization, resource: resource, scope: scope))
        }

        func post(_ message: JSONValue, token: String?) async throws -> GatewayWorker.Answer {
            try await worker.send(
                .POST, path: path, body: message.serializedBytes(),
                headers: (token.map { [("Authorization", "Bearer \($0)")] } ?? [])
                    + [("Accept", "application/json, text/event-stream"), ("Content-Type", "application/json")])
        }

        /// The `auth_method` and `auth_client_id` of the shipped rows of this method (nil: none) and
        /// with this code and decision (nil: any).
        func auditedAuthentication(method: String?, code: String? = nil, decision: String? = nil) async -> [(String?, String?)] {
            let rows = try? await harness.database.query("""
                SELECT auth_method, auth_client_id FROM audit_events
                WHERE grant_id = \(grant.id) AND method IS NOT DISTINCT FROM \(method)::text
                  AND (\(code)::text IS NULL OR code = \(code)::text) AND (\(decision)::text IS NULL OR decision = \(decision)::text)
                """)
            return (rows ?? []).compactMap { row in
                do {
                    return (try row.decode("auth_method", as: String?.self), try row.decode("auth_client_id", as: String?.self))
                } catch {
                    return nil
                }
            }
        }
    }

    func withOAuthWorker(_ body: (Setup) async throws -> Void) async throws {
        try await GatewayHarness.with { harness in
            try await FakeMCPUpstream.withRunning { upstream in
                let grant = try await harness.grant(on: upstream, policy: ["version": "1", "default": "allow"])
                let row = try #require(try await harness.database.query("SELECT account_id FROM grants WHERE id = \(grant.id)").first)
                let authorization = SnapshotOAuthAuthorization(
                    id: UUID(), accountID: try row.decode("account_id"), grantID: grant.id, clientID: Self.clientID, revoked: false)
                let mint = AccessTokenMint()
                var entities = SnapshotEntities()
                entities.oauthSigningKeys = [mint.signingKey]
                entities.oauthAuthorizations = [authorization]
                try await OAuthSnapshotProxy.withRunning(forwardingTo: harness.controlPlane.server.baseURL, adding: entities) { proxy in
                    let worker = try await harness.startWorker(arguments: [
                        "--control-plane-url", proxy.url, "--public-gateway-url", Self.publicURL + "/",
                    ])
                    do {
                        try await worker.waitForGrant(grant)
                        try await body(Setup(
                            harness: harness, upstream: upstream, worker: worker, proxy: proxy, grant: grant, mint: mint,
                            authorization: authorization))
                        try await worker.stop()
                    } catch {
                        try? await worker.stop()
                        throw error
                    }
                }
            }
        }
    }

    /// Browser-based MCP clients read the metadata cross-origin (issue 14 leftover 3): every
    /// answer of the metadata paths allows any origin, without credentials, and a preflight is
    /// answered; the MCP endpoint grants nothing.
    @Test func theProtectedResourceMetadataIsReadableCrossOriginAndTheMCPEndpointIsNot() async throws {
        try await withOAuthWorker { setup in
            let id = setup.grant.serverID.uuidString.lowercased()
            let origin = [("Origin", "https://app.example")]
            for path in ["/.well-known/oauth-protected-resource/mcp/\(id)", "/.well-known/oauth-protected-resource",
                         "/.well-known/oauth-protected-resource/mcp/\(UUID())"] {
                let answer = try await setup.worker.send(.GET, path: path, body: nil, headers: origin)
                #expect(answer.headers.first(name: "access-control-allow-origin") == "*", "\(path)")
                #expect(answer.headers.first(name: "access-control-allow-credentials") == nil)
            }
            let preflight = try await setup.worker.send(
                .OPTIONS, path: "/.well-known/oauth-protected-resource/mcp/\(id)", body: nil,
                headers: origin + [("Access-Control-Request-Method", "GET"), ("Access-Control-Request-Headers", "mcp-protocol-version")])
            #expect(preflight.status == 204)
            #expect(preflight.headers.first(name: "access-control-allow-origin") == "*")
            #expect(preflight.headers.first(name: "access-control-allow-headers")?.lowercased().contains("mcp-protocol-version") == true)
            let mcp = try await setup.worker.send(.OPTIONS, path: "/mcp/\(id)", body: nil, headers: origin + [("Access-Control-Request-Method", "POST")])
            #expect(mcp.headers.first(name: "access-control-allow-origin") == nil)
            let unauthenticated = try await setup.post(toolCall(1, "echo"), token: nil)
            #expect(unauthenticated.headers.first(name: "access-control-allow-origin") == nil)
        }
    }

    @Test func anOAuthClientDiscoversTheGatewayCallsToolsAndIsAudited() async throws {
        try await withOAuthWorker { setup in
            let id = setup.grant.serverID.uuidString.lowercased()
            let metadataURL = "\(Self.publicURL)/.well-known/oauth-protected-resource/mcp/\(id)"

            // No credentials: the challenge names the server's metadata and the scopes.
            let bare = try await setup.post(toolCall(1, "echo"), token: nil)
            #expect(bare.status == 401)
            #expect(bare.headers.first(name: "www-authenticate") == #"Bearer resource_metadata="\#(metadataURL)", scope="mcp:read mcp:call""#)
            let metadata = try await setup.worker.send(.GET, path: "/.well-known/oauth-protected-resource/mcp/\(id)", body: nil, headers: [])
            #expect(metadata.status == 200)
            #expect(metadata.json?["resource"] == .string(setup.resource))
            #expect(metadata.json?["authorization_servers"] == [.string(setup.mint.issuer)])
            #expect(metadata.json?["scopes_supported"] == ["mcp:read", "mcp:call"])
            let root = try await setup.worker.send(.GET, path: "/.well-known/oauth-protected-resource", body: nil, headers: [])
            #expect(root.json?["resource"] == .string(Self.publicURL))
            let unknown = try await setup.worker.send(.GET, path: "/.well-known/oauth-protected-resource/mcp/\(UUID())", body: nil, headers: [])
            #expect(unknown.status == 404)

            // The access token calls a tool; the upstream never sees it.
            let token = try await setup.token()
            let called = try await setup.post(toolCall(2, "echo", ["text": "hi"]), token: token)
            #expect(called.status == 200)
            #expect(called.response(id: 2)?["result"] != nil)
            let forwarded = try #require(setup.upstream.received.last { $0.jsonRPCMethod == "tools/call" })
            #expect(!forwarded.headers.contains { $0.value.contains(token) || $0.value.contains(setup.mint.kid) })
            #expect(!forwarded.headers.contains { $0.name.lowercased() == "authorization" })

            // A read-only token lists but does not call: 403 with the step-up challenge.
            let readOnly = try await setup.token(scope: "mcp:read")
            #expect(try await setup.post(["jsonrpc": "2.0", "id": 3, "method": "tools/list"], token: readOnly).status == 200)
            let stepUp = try await setup.post(toolCall(4, "echo"), token: readOnly)
            #expect(stepUp.status == 403)
            #expect(stepUp.headers.first(name: "www-authenticate")
                == #"Bearer error="insufficient_scope", scope="mcp:read mcp:call", resource_metadata="\#(metadataURL)""#)

            // A bad token gets invalid_token in the same challenge.
            let bad = try await setup.post(toolCall(5, "echo"), token: token + "x")
            #expect(bad.status == 401)
            #expect(bad.headers.first(name: "www-authenticate")?.hasPrefix(#"Bearer error="invalid_token", resource_metadata=""#) == true)

            // Audit rows say how each caller authenticated, through the spool, the shipper and the API.
            #expect(try await eventually(within: .seconds(20)) {
                let called = await setup.auditedAuthentication(method: "tools/call", decision: "allow")
                let refused = await setup.auditedAuthentication(method: "tools/call", code: "insufficient_scope")
                let pinged = await setup.auditedAuthentication(method: "ping")
                return called.contains { $0 == ("oauth", Self.clientID) } && refused.contains { $0 == ("oauth", Self.clientID) }
                    && pinged.contains { $0 == ("grant_token", nil) }
            })
            let (status, listed) = try await setup.harness.admin(.GET, "/v1/audit?limit=100")
            #expect(status == 200)
            let items = listed["items"]?.arrayValue ?? []
            #expect(items.contains { $0["auth_method"] == "oauth" && $0["auth_client_id"] == .string(Self.clientID) })
            #expect(items.contains { $0["auth_method"] == "grant_token" && $0["auth_client_id"] == .null })
            let (_, verify) = try await setup.harness.admin(.GET, "/v1/audit/verify")
            #expect(verify["ok"] == true)
        }
    }

    @Test func aRevokedAuthorizationIsRefusedOnceTheNextDeltaArrives() async throws {
        try await withOAuthWorker { setup in
            let token = try await setup.token()
            #expect(try await setup.post(toolCall(1, "echo"), token: token).status == 200)
            setup.proxy.update { entities in
                entities.oauthAuthorizations = entities.oauthAuthorizations.map { var revoked = $0; revoked.revoked = true; return revoked }
            }
            // Any change makes the control plane send a delta, which carries the revocation.
            _ = try await setup.harness.adminCreate("/v1/identities", ["label": .string("nudge-\(UUID().uuidString.prefix(6))")])
            var refused: GatewayWorker.Answer?
            #expect(try await eventually(within: .seconds(10)) {
                let answer = try? await setup.post(toolCall(2, "echo"), token: token)
                refused = answer
                return answer?.status == 401
            })
            #expect(refused?.json?["error"]?["message"] == "The authorization has been revoked.")
            // The signature verified, so the refusal is recorded on the account.
            #expect(try await eventually(within: .seconds(20)) {
                await !setup.auditedAuthentication(method: nil, code: "grant_refused").isEmpty
            })
        }
    }
}
