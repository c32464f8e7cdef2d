import Foundation
import Shared
import Testing
import TestSupport

@testable import ControlPlane

/// Issue 14 item 4: an identity provider's documents are tenant input fetched by the control plane.
/// Hostile ones (huge, malformed, pointing inward, naming another issuer) are refused with a
/// reason, and a refused refresh keeps the keys already published.
@Suite(.timeLimit(.minutes(2)))
struct AdversarialTrustedIssuerTests {
    /// Creates an issuer whose keys were fetched, then makes the issuer hostile and refreshes.
    static func refreshAfter(
        _ makeHostile: @Sendable (LocalOIDCIssuer) -> Void, _ check: @Sendable (APIResponse, SnapshotTrustedIssuer?, TestIssuerKey) -> Void
    ) async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            let admin = try await api.signup()
            let key = TestIssuerKey.ed25519()
            try await LocalOIDCIssuer.run(keys: [key]) { issuer in
                let id = try await TrustedIssuersTests.create(api, issuer, by: admin).objectID
                makeHostile(issuer)
                let refreshed = try await api.send(.post, "/v1/trusted-issuers/\(id)/refresh", key: admin.key)
                #expect(refreshed.status == .ok)
                check(refreshed, try await TrustedIssuersTests.publishedIssuer(database, id), key)
            }
        }
    }

    @Test func aHugeJWKSIsRefusedAndThePublishedKeysStay() async throws {
        try await Self.refreshAfter({ issuer in
            issuer.serveJWKS(Array(#"{"keys": [], "padding": ""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 1 << 20) + Array(#""}"#.utf8))
        }) { answer, published, key in
            #expect(answer["keys_error"]?.stringValue == "The issuer's JWKS is larger than 262144 bytes.")
            #expect(answer["keys"]?.arrayValue?.count == 1)
            #expect(published?.keys == [key.published])
        }
    }

    @Test func aMalformedJWKSIsRefusedAndThePublishedKeysStay() async throws {
        for body in [#"{"keys": [{"kty": "OKP""#, #"["not", "an", "object"]"#, #"{"keys": "none"}"#] {
            try await Self.refreshAfter({ $0.serveJWKS(Array(body.utf8)) }) { answer, published, key in
                #expect(answer["keys_error"]?.stringValue?.isEmpty == false, "\(body)")
                #expect(published?.keys == [key.published])
            }
        }
    }

    @Test func aJWKSAtAPrivateOrMetadataAddressIsRefused() async throws {
        for target in ["http://10.0.0.1/jwks", "http://169.254.169.254/latest/meta-data/", "http://[::1]:1/jwks"] {
            try await Self.refreshAfter({ $0.overrideDiscovery(["jwks_uri": .string(target)]) }) { answer, published, key in
                let error = answer["keys_error"]?.stringValue ?? ""
                #expect(error.hasPrefix("The issuer's JWKS URL is refused:"), "\(target): \(error)")
                #expect(published?.keys == [key.published])
            }
        }
    }

    /// OpenID Connect Discovery §4.3: a document for another issuer would hand its keys to this one.
    @Test func aDiscoveryDocumentNamingAnotherIssuerIsRefused() async throws {
        try await Self.refreshAfter({ $0.overrideDiscovery(["issuer": "https://accounts.example.com"]) }) { answer, _, _ in
            #expect(answer["keys_error"]?.stringValue?.hasPrefix("The discovery document names another issuer") == true)
        }
    }

    @Test func aJWKSWithTooManyKeysIsRefused() async throws {
        try await Self.refreshAfter({ issuer in issuer.setKeys((0...IssuerKeyDiscovery.maximumKeys).map { _ in TestIssuerKey.ed25519() }) }) { answer, _, _ in
            #expect(answer["keys_error"]?.stringValue == "The JWKS holds 33 keys, more than 32.")
        }
    }

    /// The installation's SSRF guard applies to the issuer URL itself: loopback is refused unless
    /// the operator allows it.
    @Test func anIssuerAtALoopbackAddressIsRefusedByDefault() async throws {
        try await withAPI { api, _ in
            let admin = try await api.signup()
            let refused = try await api.send(.post, "/v1/trusted-issuers", key: admin.key, json: ["issuer": "https://127.0.0.1:8443", "audience": "portcullis"])
            #expect(refused.status == .badRequest)
            #expect(refused.errorPointers == ["/issuer"])
        }
    }

    @Test func anotherAccountsIssuerIsNotFound() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, _ in
            let owner = try await api.signup("Acme"), intruder = try await api.signup("Globex")
            try await LocalOIDCIssuer.run(keys: [TestIssuerKey.ed25519()]) { issuer in
                let id = try await TrustedIssuersTests.create(api, issuer, by: owner).objectID
                #expect(try await api.send(.get, "/v1/trusted-issuers/\(id)", key: intruder.key).status == .notFound)
                #expect(try await api.send(.patch, "/v1/trusted-issuers/\(id)", key: intruder.key, json: ["audience": "x"]).status == .notFound)
                #expect(try await api.send(.post, "/v1/trusted-issuers/\(id)/refresh", key: intruder.key).status == .notFound)
                #expect(try await api.send(.delete, "/v1/trusted-issuers/\(id)", key: intruder.key).status == .notFound)
                #expect(try await api.send(.get, "/v1/trusted-issuers", key: intruder.key)["items"] == [])
                // The same issuer may be trusted by another account, separately.
                #expect(try await TrustedIssuersTests.create(api, issuer, by: intruder).status == .created)
            }
        }
    }
}

extension AdversarialTrustedIssuerTests {
    /// Every worker carries every account's issuers: an account cannot add them without bound.
    @Test func trustedIssuersAreBoundedPerAccount() async throws {
        try await withAPI(configure: allowLoopbackUpstreams) { api, database in
            let admin = try await api.signup()
            try await database.execute("UPDATE account_limits SET trusted_issuers = 1")
            try await LocalOIDCIssuer.run(keys: [TestIssuerKey.ed25519()]) { issuer in
                #expect(try await TrustedIssuersTests.create(api, issuer, by: admin).status == .created)
                let refused = try await api.send(.post, "/v1/trusted-issuers", key: admin.key, json: [
                    "issuer": .string(issuer.url + "/tenant-2"), "audience": "portcullis",
                ])
                #expect(refused.status == .conflict)
                #expect(refused["detail"]?.stringValue?.contains("trusted_issuers (1)") == true)
            }
        }
    }
}

extension AdversarialTrustedIssuerTests {
    /// Issue 10 item 9: a failed fetch names a fixed kind of failure, never the address it tried.
    @Test func aFailedFetchNeverNamesTheAddressItTried() async throws {
        try await Self.refreshAfter({ $0.overrideDiscovery(["jwks_uri": "http://127.0.0.1:1/jwks"]) }) { answer, _, _ in
            let error = answer["keys_error"]?.stringValue ?? ""
            #expect(error == "The issuer's JWKS could not be fetched: unreachable: connection failed.")
            #expect(!error.contains("127.0.0.1"))
        }
    }

    /// Issue 14 leftover 7: a JWKS (or discovery document) server that trickles its answer one
    /// byte a second is given up at the whole-fetch deadline, with a clear reason.
    @Test func aTricklingDocumentServerEndsAtTheWholeFetchDeadline() async throws {
        var configuration = APIConfiguration()
        allowLoopbackUpstreams(&configuration)
        let fetch = GuardedDocumentFetch(addressGuard: configuration.upstreamAddressGuard, timeout: .seconds(2))
        try await withClientMetadataDocument(redirectURI: "http://127.0.0.1:40000/cb", trickle: true) { url in
            do throws(GuardedDocumentFetch.Failure) {
                _ = try await fetch.object(at: url, what: "issuer's JWKS")
                Issue.record("a trickling document was accepted")
            } catch {
                #expect(error.description.hasPrefix("The issuer's JWKS did not answer within"))
            }
        }
    }
}
