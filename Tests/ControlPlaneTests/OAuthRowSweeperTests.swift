import Foundation
import Logging
import Shared
import Testing

@testable import ControlPlane

/// Issue 14 leftover 4: the OAuth tables are swept of rows nothing can use, against the real
/// database; what the reuse detection needs stays.
struct OAuthRowSweeperTests {
    static func sweeper(_ database: Database) -> OAuthRowSweeper {
        OAuthRowSweeper(database: database, batchSize: 1, logger: Logger(label: "test"))
    }

    /// A client that completed the flow against a server of `admin`'s account (a new one unless
    /// `resource` names it): its token answer.
    static func authorized(
        _ api: APIClient, _ database: Database, _ admin: Caller, resource given: String? = nil
    ) async throws -> (OAuthFlow, APIResponse, String) {
        let resource: String
        if let given { resource = given } else { resource = "\(testGatewayBase)/mcp/\(try await Fixtures(database: database).server(of: admin))" }
        let flow = try await api.registerPublicClient()
        return (flow, try await flow.tokens(resource: resource, member: admin), resource)
    }

    @Test(.timeLimit(.minutes(2)))
    func expiredRequestsAndRefreshTokensPastTheGraceGoAndUsedLiveTokensStayForReuseDetection() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let (flow, first, resource) = try await Self.authorized(api, database, admin)
            let original = try #require(first["refresh_token"]?.stringValue)
            let second = try #require(try await flow.refresh(original)["refresh_token"]?.stringValue)
            let third = try #require(try await flow.refresh(second)["refresh_token"]?.stringValue)
            let pending = try await flow.requestID(resource: resource)
            let recent = try await flow.requestID(resource: resource)
            // The decided request and the pending one ended two days ago; `recent` a minute ago
            // (within the grace). The first refresh token expired two days ago.
            try await database.execute("""
                UPDATE oauth_requests SET expires_at = now() - interval '2 days',
                    code_expires_at = CASE WHEN code_expires_at IS NULL THEN NULL ELSE now() - interval '2 days' END
                WHERE id <> \(UUID(uuidString: recent)!)
                """)
            try await database.execute("UPDATE oauth_requests SET expires_at = now() - interval '1 minute' WHERE id = \(UUID(uuidString: recent)!)")
            try await database.execute("""
                UPDATE oauth_refresh_tokens SET expires_at = now() - interval '2 days'
                WHERE token_hash = \(SecretToken.parse(original, as: .oauthRefresh)!.hash)
                """)

            let swept = await Self.sweeper(database).sweep()
            #expect(swept == OAuthRowSweeper.Swept(requests: 2, refreshTokens: 1, authorizations: 0, clients: 0))
            let left = try await database.query("SELECT id FROM oauth_requests").map { try $0.decode("id", as: UUID.self) }
            #expect(left == [UUID(uuidString: recent)!])
            #expect(!left.contains(UUID(uuidString: pending)!))
            #expect(await Self.sweeper(database).sweep() == OAuthRowSweeper.Swept())

            // The used, unexpired second token is still known: presenting it again is reuse, which
            // revokes the authorization and so kills the newest token too.
            #expect(try await flow.refresh(second)["error"] == "invalid_grant")
            #expect(try await flow.refresh(third)["error"] == "invalid_grant")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func revokedAuthorizationsPastTheRetentionAreDeletedAndWorkersAreToldWhileRecentOnesStay() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let (oldFlow, oldAnswer, resource) = try await Self.authorized(api, database, admin)
            let (newFlow, newAnswer, _) = try await Self.authorized(api, database, admin, resource: resource)
            for (flow, answer) in [(oldFlow, oldAnswer), (newFlow, newAnswer)] {
                let refresh = try #require(answer["refresh_token"]?.stringValue)
                #expect(try await api.form("/oauth/revoke", [("token", refresh), ("client_id", flow.clientID)]).status == .ok)
            }
            let old = try await api.verifiedClaims(try #require(oldAnswer["access_token"]?.stringValue)).authorizationID
            let recent = try await api.verifiedClaims(try #require(newAnswer["access_token"]?.stringValue)).authorizationID
            try await database.execute("UPDATE oauth_authorizations SET revoked_at = now() - interval '31 days' WHERE id = \(old)")
            let store = SnapshotReader(database: database)
            let before = try await store.full().version

            let swept = await Self.sweeper(database).sweep()
            #expect(swept.authorizations == 1)
            let left = try await database.query("SELECT id FROM oauth_authorizations").map { try $0.decode("id", as: UUID.self) }
            #expect(left == [recent])
            #expect(try await database.query("SELECT 1 FROM oauth_refresh_tokens WHERE authorization_id = \(old)").isEmpty)
            guard case .delta(let delta) = try await store.delta(since: before) else { throw TestFailure("no delta after the sweep") }
            #expect(delta.deletes.contains(SnapshotEntityRef(kind: .oauthAuthorization, id: old)))
            #expect(try await store.full().entities.oauthAuthorizations.map(\.id) == [recent])
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func registeredClientsNeverUsedWithinADayAreDeleted() async throws {
        try await withOAuthAPI { api, database in
            let admin = try await api.signup()
            let (used, _, _) = try await Self.authorized(api, database, admin)
            let unused = try await api.registerPublicClient()
            let fresh = try await api.registerPublicClient()
            try await database.execute("""
                UPDATE oauth_clients SET created_at = now() - interval '2 days' WHERE client_id IN (\(used.clientID), \(unused.clientID))
                """)

            #expect(await Self.sweeper(database).sweep().clients == 1)
            let left = Set(try await database.query("SELECT client_id FROM oauth_clients").map { try $0.decode("client_id", as: String.self) })
            #expect(left == [used.clientID, fresh.clientID])
        }
    }
}
