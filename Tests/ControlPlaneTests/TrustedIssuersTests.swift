import Foundation
import Logging
import Shared
import Testing
import TestSupport

@testable import ControlPlane
import JSON

/// Issue 14 item 4: `/v1/trusted-issuers`, the keys fetched through discovery, and their way into
/// the snapshot, against a local OpenID provider on loopback (allowed as the servers' tests allow it).
@Suite(.timeLimit(.minutes(2)))
struct TrustedIssuersTests {
    static func create(_ api: APIClient, _ issuer: LocalOIDCIssuer, by admin: Caller, extra: [String: JSONValue] = [:]) async throws -> APIResponse {
        var body = JSONObject([("issuer", .string(issuer.url)), ("audience", "portcullis")])
        for (name, value) in extra { body[name] = value }
        return try await api.send(.post, "/v1/trusted-issuers", key: admin.key, json: .object(body))
    }

    static func publishedIssuer(_ database: Database, _ id: String) async throws -> SnapshotTrustedIssuer? {
        try await SnapshotReader(database: database).full().entities.trustedIssuers.first { $0.id == UUID(uuidString: id) }
    }

    @Test func creatingAnIssuerFetchesItsKeysThroughDiscoveryAndPublishesThem() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            let admin = try await api.signup()
            let keys = [TestIssuerKey.ed25519(), TestIssuerKey.p256(), try TestIssuerKey.rsa()]
            try await LocalOIDCIssuer.run(keys: keys) { issuer in
                let created = try await Self.create(api, issuer, by: admin, extra: ["identity_claim": "email"])
                #expect(created.status == .created)
                #expect(created["jwks_uri"]?.stringValue == issuer.url + "/jwks")
                #expect(created["keys_error"] == .null)
                #expect(created["keys"]?.arrayValue?.compactMap { $0["kid"]?.stringValue } == keys.map(\.kid))
                #expect(created["algorithms"] == ["RS256", "ES256", "EdDSA"])
                let published = try #require(try await Self.publishedIssuer(database, created.objectID))
                #expect(published.issuer == issuer.url)
                #expect(published.identityClaim == "email")
                #expect(published.keys == keys.map(\.published))
                #expect(published.accountID == UUID(uuidString: admin.accountID))
            }
        }
    }

    @Test func refreshingPicksUpARotatedKeyAndTellsWorkers() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            let admin = try await api.signup()
            let first = TestIssuerKey.ed25519(), second = TestIssuerKey.ed25519()
            try await LocalOIDCIssuer.run(keys: [first]) { issuer in
                let id = try await Self.create(api, issuer, by: admin).objectID
                let version = try await SnapshotReader(database: database).full().version
                issuer.setKeys([second])
                let refreshed = try await api.send(.post, "/v1/trusted-issuers/\(id)/refresh", key: admin.key)
                #expect(refreshed.status == .ok)
                #expect(refreshed["keys"]?.arrayValue?.compactMap { $0["kid"]?.stringValue } == [second.kid])
                guard case .delta(let delta) = try await SnapshotReader(database: database).delta(since: version) else {
                    Issue.record("the rotation was not published")
                    return
                }
                #expect(delta.upserts.trustedIssuers.map(\.keys) == [[second.published]])
                // A refresh that finds the same keys publishes nothing new.
                let unchanged = try await SnapshotReader(database: database).full().version
                _ = try await api.send(.post, "/v1/trusted-issuers/\(id)/refresh", key: admin.key)
                #expect(try await SnapshotReader(database: database).full().version == unchanged)
            }
        }
    }

    @Test func theBackgroundRefreshFetchesIssuersDueAndSkipsFreshOnes() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            let admin = try await api.signup()
            try await LocalOIDCIssuer.run(keys: [TestIssuerKey.ed25519()]) { issuer in
                _ = try await Self.create(api, issuer, by: admin)
                var configuration = APIConfiguration()
                allowLoopbackUpstreams(&configuration)
                func service(every interval: Duration) -> IssuerKeyRefreshService {
                    IssuerKeyRefreshService(
                        database: database, refresh: configuration.issuerKeyRefresh(tenants: TenantDatabase(database: database)),
                        interval: interval, logger: Logger(label: "test"))
                }
                let fetches = issuer.jwksFetches
                await service(every: .seconds(3600)).refreshDueIssuers()
                #expect(issuer.jwksFetches == fetches)
                try await database.execute("UPDATE trusted_issuers SET keys_checked_at = now() - interval '2 hours'")
                await service(every: .seconds(3600)).refreshDueIssuers()
                #expect(issuer.jwksFetches == fetches + 1)
            }
        }
    }

    @Test func groupsMapToPoliciesOfTheAccount() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            let admin = try await api.signup()
            let policy = try await api.send(.post, "/v1/policies", key: admin.key, json: ["name": "admins", "document": ["version": "1", "default": "allow"]]).objectID
            try await LocalOIDCIssuer.run(keys: [TestIssuerKey.ed25519()]) { issuer in
                let id = try await Self.create(api, issuer, by: admin).objectID
                let mapping: JSONValue = [["group": "admins", "policy_id": .string(policy)]]
                let withoutClaim = try await api.send(.patch, "/v1/trusted-issuers/\(id)", key: admin.key, json: ["group_policies": mapping])
                #expect(withoutClaim.status == .badRequest)
                #expect(withoutClaim.errorPointers == ["/group_claim"])
                let mapped = try await api.send(.patch, "/v1/trusted-issuers/\(id)", key: admin.key, json: ["group_claim": "groups", "group_policies": mapping])
                #expect(mapped.status == .ok)
                #expect(mapped["group_policies"] == mapping)
                let published = try await Self.publishedIssuer(database, id)
                #expect(published?.groupPolicies == [.init(group: "admins", policyID: UUID(uuidString: policy)!)])
                let unknown = try await api.send(.patch, "/v1/trusted-issuers/\(id)", key: admin.key, json: [
                    "group_policies": [["group": "ops", "policy_id": .string(UUID().uuidString)]],
                ])
                #expect(unknown.status == .badRequest)
                #expect(unknown.errorPointers == ["/group_policies/0/policy_id"])
            }
        }
    }

    @Test func onlyAsymmetricAlgorithmsAreAccepted() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            let admin = try await api.signup()
            try await LocalOIDCIssuer.run(keys: [TestIssuerKey.ed25519()]) { issuer in
                for algorithms: JSONValue in [["none"], ["HS256"], ["RS256", "HS512"], []] {
                    let refused = try await Self.create(api, issuer, by: admin, extra: ["algorithms": algorithms])
                    #expect(refused.status == .badRequest)
                    #expect(refused.errorPointers == ["/algorithms"])
                }
                let rsaOnly = try await Self.create(api, issuer, by: admin, extra: ["algorithms": ["RS256"]])
                #expect(rsaOnly.status == .created)
                // The issuer publishes only an Ed25519 key: none is usable, and the answer says so.
                #expect(rsaOnly["keys"] == [])
                #expect(rsaOnly["keys_error"]?.stringValue == "The JWKS has no signing key for RS256.")
            }
        }
    }

    @Test func membersReadAndOnlyAdminsWriteAndDeletingUnpublishes() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            let admin = try await api.signup()
            let viewer = try await api.addMember("viewer", by: admin)
            try await LocalOIDCIssuer.run(keys: [TestIssuerKey.ed25519()]) { issuer in
                #expect(try await Self.create(api, issuer, by: viewer).status == .forbidden)
                let id = try await Self.create(api, issuer, by: admin).objectID
                #expect(try await Self.create(api, issuer, by: admin).status == .conflict)
                #expect(try await api.send(.get, "/v1/trusted-issuers", key: viewer.key)["items"]?.arrayValue?.count == 1)
                #expect(try await api.send(.get, "/v1/trusted-issuers/\(id)", key: viewer.key).status == .ok)
                #expect(try await api.send(.post, "/v1/trusted-issuers/\(id)/refresh", key: viewer.key).status == .forbidden)
                #expect(try await api.send(.delete, "/v1/trusted-issuers/\(id)", key: viewer.key).status == .forbidden)
                #expect(try await api.send(.delete, "/v1/trusted-issuers/\(id)", key: admin.key).status == .noContent)
                #expect(try await Self.publishedIssuer(database, id) == nil)
                let audit = try await api.send(.get, "/v1/admin-audit", key: admin.key)
                let actions = audit["items"]?.arrayValue?.filter { $0["object_type"] == "trusted_issuer" }.compactMap { $0["action"]?.stringValue }
                #expect(actions == ["delete", "create"])
            }
        }
    }
}

/// Which keys of a JWKS are published: signing keys usable with the issuer's algorithms, and nothing
/// but their public parameters.
struct IssuerKeySelectionTests {
    @Test func onlySigningKeysOfAllowedAlgorithmsThatBuildArePublished() throws {
        let ed = TestIssuerKey.ed25519(), ec = TestIssuerKey.p256()
        var withPrivatePart = ed.jwk.objectValue!
        withPrivatePart["d"] = "c2VjcmV0"
        var encryption = ec.jwk.objectValue!
        encryption["use"] = "enc"
        var mislabelled = ec.jwk.objectValue!
        mislabelled["alg"] = "RS256"
        let entries: [JSONValue] = [
            .object(withPrivatePart), .object(encryption), .object(mislabelled),
            ["kty": "oct", "k": "c2VjcmV0", "alg": "HS256", "kid": "hmac"],
            ["kty": "EC", "crv": "P-384", "x": "AA", "y": "AA", "kid": "p384"],
            ["kty": "OKP", "crv": "Ed25519", "x": "c2hvcnQ", "kid": "short"],
            ec.jwk,
        ]
        let all = entries.compactMap { IssuerKeyDiscovery.key($0, allowed: IssuerSigningAlgorithm.allCases) }
        #expect(all == [ed.published, ec.published])
        #expect(entries.compactMap { IssuerKeyDiscovery.key($0, allowed: [.es256]) } == [ec.published])
    }
}
