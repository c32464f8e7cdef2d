import Foundation
import Hummingbird
import Shared
import Testing
import TestSupport

@testable import ControlPlane
import JSON

/// Issue 14 item 5, hostile peers of upstream OAuth connect: a hostile upstream or authorization
/// server, and a forged or replayed callback. Each gets a clear refusal; nothing is stored (no
/// pending request, no credential) and no code, token or secret appears in an answer.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialUpstreamOAuthTests {
    /// Nothing of a connect is left: no request waiting, no credential, no connection.
    static func nothingStored(_ database: Database) async throws -> Bool {
        try await database.query("""
            SELECT (SELECT count(*) FROM upstream_oauth_requests) + (SELECT count(*) FROM identity_credentials)
                 + (SELECT count(*) FROM upstream_oauth_connections) AS n
            """).first!.decode("n", as: Int64.self) == 0
    }

    /// Starts a connect against a hostile `upstream` and expects `status` with `phrase` in the detail.
    static func expectConnectRefused(
        _ change: @escaping @Sendable (inout FakeUpstreamAuthorizationServer.State) -> Void, status: HTTPResponse.Status, phrase: String
    ) async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeUpstreamAuthorizationServer.run { upstream in
                let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                upstream.update(change)
                let refused = try await api.send(.post, setup.connectPath, key: setup.admin.key, json: [:])
                #expect(refused.status == status && refused.isProblem, "\(refused.bodyText)")
                #expect(refused["detail"]?.stringValue?.contains(phrase) == true, "\(refused.bodyText)")
                #expect(try await Self.nothingStored(database))
            }
        }
    }

    @Test func anAuthorizationServerWithoutS256IsRefused() async throws {
        try await Self.expectConnectRefused({ $0.metadataOverrides["code_challenge_methods_supported"] = ["plain"] }, status: .badGateway, phrase: "S256")
        try await Self.expectConnectRefused({ $0.metadataOverrides["code_challenge_methods_supported"] = .null }, status: .badGateway, phrase: "S256")
    }

    @Test func metadataForAnotherResourceOrIssuerIsRefused() async throws {
        try await Self.expectConnectRefused(
            { $0.resourceMetadataOverrides["resource"] = "https://elsewhere.example/mcp" }, status: .badGateway, phrase: "another resource")
        try await Self.expectConnectRefused({ $0.metadataOverrides["issuer"] = "https://evil.example" }, status: .badGateway, phrase: "another issuer")
    }

    @Test func anAuthorizationServerAtAPrivateAddressIsRefusedByTheGuard() async throws {
        try await Self.expectConnectRefused(
            { $0.resourceMetadataOverrides["authorization_servers"] = ["http://169.254.169.254"] }, status: .badRequest, phrase: "refused")
    }

    @Test func hugeOrRedirectingMetadataIsRefusedAndTheRedirectNotFollowed() async throws {
        try await Self.expectConnectRefused(
            { $0.metadataAnswer = (.ok, [.contentType: "application/json"], Array(repeating: UInt8(ascii: " "), count: 200_000) + Array("{}".utf8)) },
            status: .badGateway, phrase: "larger than")
        try await Self.expectConnectRefused(
            { $0.metadataAnswer = (.found, [.location: "http://169.254.169.254/latest/meta-data"], []) }, status: .badGateway, phrase: "HTTP 302")
    }

    @Test func aSlowAuthorizationServerIsCutAtTheDeadline() async throws {
        try await withAPI(configure: { allowLoopbackUpstreams(&$0); $0.upstreamOAuthTimeout = .seconds(1) }) { api, database in
            let blackhole = try BlackholeListener()
            defer { blackhole.close() }
            try await FakeUpstreamAuthorizationServer.run { upstream in
                let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                upstream.update { $0.resourceMetadataOverrides["authorization_servers"] = [.string("http://127.0.0.1:\(blackhole.port)")] }
                let refused = try await api.send(.post, setup.connectPath, key: setup.admin.key, json: [:])
                // At the deadline, or as a connect timeout on a loaded machine: both fixed phrases.
                let detail = refused["detail"]?.stringValue ?? ""
                #expect(refused.status == .badGateway && (detail.contains("did not answer") || detail.contains("could not be fetched")), "\(detail)")
                #expect(try await Self.nothingStored(database))
            }
        }
    }

    @Test func anUnknownOrReplayedStateIsRefusedAndStoresNothing() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeUpstreamAuthorizationServer.run { upstream in
                let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                let unknown = try await api.callback("/v1/upstream-oauth/callback?code=code-1&state=forged")
                #expect(unknown.status == .badRequest && unknown.text.contains("unknown"))
                #expect(try await api.callback("/v1/upstream-oauth/callback").status == .badRequest)
                #expect(try await api.callback("/v1/upstream-oauth/callback?state=a&state=b").status == .badRequest)
                #expect(try await Self.nothingStored(database))

                let callback = try await upstream.approve(try await setup.start(api))
                #expect(try await api.callback(callback).status == .ok)
                let requests = upstream.tokenRequests.count
                let replayed = try await api.callback(callback)
                #expect(replayed.status == .badRequest && replayed.text.contains("already used"))
                #expect(upstream.tokenRequests.count == requests)
                #expect(!replayed.text.contains("code-"))
            }
        }
    }

    /// A NUL in any callback parameter (PostgreSQL text cannot hold one) and a state far longer
    /// than ours are refused like a forged state: 400, no token request, nothing stored.
    @Test func aCallbackWithANULOrAHugeStateIsRefusedAndStoresNothing() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeUpstreamAuthorizationServer.run { upstream in
                _ = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                let huge = String(repeating: "s", count: 8 * 1024)
                for query in ["code=code-1&state=a%00b", "code=a%00b&state=forged", "code=code-1&state=forged&iss=x%00", "code=code-1&state=\(huge)"] {
                    let refused = try await api.callback("/v1/upstream-oauth/callback?\(query)")
                    #expect(refused.status == .badRequest, "\(query.prefix(60))")
                    #expect(!refused.text.contains("code-1"))
                }
                #expect(upstream.tokenRequests.isEmpty)
                #expect(try await Self.nothingStored(database))
            }
        }
    }

    @Test func aCallbackCarryingAnErrorOrAnotherIssuerStoresNoCredential() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            try await FakeUpstreamAuthorizationServer.run { upstream in
                let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                var state = try #require(URLComponents(string: try await setup.start(api))?.query("state"))
                let denied = try await api.callback("/v1/upstream-oauth/callback?error=access_denied&error_description=%3Cscript%3E&state=\(state)")
                #expect(denied.status == .badRequest && denied.text.contains("access_denied") && !denied.text.contains("<script>"))
                #expect(try await publishedAccessToken(database, setup) == nil)
                let failed = try await api.send(.get, setup.credentialPath, key: setup.admin.key)
                #expect(failed["oauth"]?["status"] == "failed" && failed["auth"] == .null)

                // RFC 9207: the server advertises iss, so a redirect naming another issuer is a mix-up.
                let callback = try await upstream.approve(try await setup.start(api))
                state = try #require(URLComponents(string: "http://x" + callback)?.query("state"))
                let mixedUp = try await api.callback("/v1/upstream-oauth/callback?code=code-3&state=\(state)&iss=https%3A%2F%2Fevil.example")
                #expect(mixedUp.status == .badRequest && mixedUp.text.contains("iss"))
                // Without iss at all, from a server that advertises it: refused too.
                let withoutIss = try await api.callback(try await upstream.approve(try await setup.start(api)).replacingOccurrences(of: "&iss=", with: "&x="))
                #expect(withoutIss.status == .badRequest && withoutIss.text.contains("iss"))
                #expect(!upstream.tokenRequests.contains { $0["grant_type"] == "authorization_code" })
                #expect(try await publishedAccessToken(database, setup) == nil)
            }
        }
    }

    @Test func aTokenAnswerWithoutAUsableAccessTokenStoresNothingAndLeaksNothing() async throws {
        for answer: JSONValue in [
            ["token_type": "Bearer", "refresh_token": "refresh-secret"],
            ["access_token": "evil\r\nX-Injected: 1", "token_type": "Bearer", "refresh_token": "refresh-secret"],
            ["access_token": "mac-token", "token_type": "MAC", "refresh_token": "refresh-secret"],
            ["access_token": "negative", "expires_in": -5, "refresh_token": "refresh-secret"],
        ] {
            try await withAPI(configure: allowLoopbackUpstreams) { api, database in
                try await FakeUpstreamAuthorizationServer.run { upstream in
                    let setup = try await UpstreamOAuthSetup.make(api, upstream: upstream)
                    upstream.update { $0.tokenAnswer = answer }
                    let page = try await api.callback(try await upstream.approve(try await setup.start(api)))
                    #expect(page.status == .badRequest, "\(answer)")
                    #expect(!page.text.contains("refresh-secret") && !page.text.contains("evil") && !page.text.contains("code-"))
                    #expect(try await publishedAccessToken(database, setup) == nil)
                    let credential = try await api.send(.get, setup.credentialPath, key: setup.admin.key)
                    #expect(credential["oauth"]?["status"] == "failed" && !credential.bodyText.contains("refresh-secret"))
                    #expect(try await database.query("SELECT 1 FROM upstream_oauth_connections WHERE refresh_token_ciphertext IS NOT NULL").isEmpty)
                }
            }
        }
    }

    @Test func guessingStatesIsRateLimitedPerClient() async throws {
        try await withAPI(configure: { allowLoopbackUpstreams(&$0); $0.oauthRate = .init(burst: 3, refillInterval: 3600) }) { api, _ in
            var statuses: [HTTPResponse.Status] = []
            for guess in 0..<5 { statuses.append(try await api.callback("/v1/upstream-oauth/callback?code=c&state=guess-\(guess)").status) }
            #expect(statuses == [.badRequest, .badRequest, .badRequest, .tooManyRequests, .tooManyRequests])
        }
    }
}
