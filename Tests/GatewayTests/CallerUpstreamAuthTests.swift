import Foundation
import Logging
import Shared
import Testing

@testable import Gateway
import PolicyEngine

/// Issue 14 item 5: which credential a call sends upstream, by the server's credential mode.
struct CallerUpstreamAuthTests {
    static let sealer = SecretSealer(keyRing: try! SecretKeyRing(parsing: "v1:" + Data(repeating: 7, count: 32).base64EncodedString()), purpose: .upstreamCredentials)

    /// One account, one server with a shared bearer token, identities alice (own token) and bob (none).
    struct World {
        let account = UUID(), server = UUID(), alice = UUID(), bob = UUID()
        var entities = SnapshotEntities()

        init(mode: UpstreamCredentialMode, aliceExpiresAt: Date? = nil) throws {
            let shared = try UpstreamAuth.bearer(token: "shared-token").sealed(with: sealer, account: account, server: server)!
            entities.servers = [SnapshotServer(
                id: server, accountID: account, name: "runpod", url: "https://mcp.example.com/mcp", authType: "bearer",
                sealedCredentials: Data(shared.storedBytes).base64EncodedString(), credentialsKeyVersion: "v1",
                connectTimeoutMs: 5000, firstByteTimeoutMs: 60000, idleTimeoutMs: 300000, credentialMode: mode.rawValue)]
            entities.identities = [alice, bob].map { SnapshotIdentity(id: $0, accountID: account, label: $0 == alice ? "alice" : "bob", metadata: "{}") }
            entities.identityCredentials = [try credential(.bearer(token: "alice-token"), identity: alice, expiresAt: aliceExpiresAt)]
        }

        /// `auth` sealed for `sealedFor` and filed under `identity` (the same unless a test moves it).
        func credential(_ auth: UpstreamAuth, identity: UUID, sealedFor: UUID? = nil, expiresAt: Date? = nil) throws -> SnapshotIdentityCredential {
            let sealed = try auth.sealed(with: sealer, boundTo: UpstreamAuth.binding(account: account, server: server, identity: sealedFor ?? identity))!
            return SnapshotIdentityCredential(
                id: UUID(), accountID: account, identityID: identity, serverID: server, authType: auth.storedType,
                sealedCredentials: Data(sealed.storedBytes).base64EncodedString(), credentialsKeyVersion: "v1", expiresAt: expiresAt)
        }

        func auth(for identity: UUID, now: Date = Date()) -> Result<UpstreamAuth, UpstreamFailure> {
            let snapshot = EnforcementSnapshot(FullSnapshot(version: 1, entities: entities))
            let caller = AuthenticatedGrant(
                grant: SnapshotGrant(id: UUID(), accountID: account, identityID: identity, serverID: server, policyID: nil, tokenHash: "", expiresAt: nil, revoked: false),
                identity: snapshot.identitiesByID[identity]!, server: snapshot.serversByID[server]!, policy: nil,
                counterOwner: CounterOwner(accountID: "", grantID: "", identityID: "", serverID: ""))
            return CallerUpstreamAuth.auth(for: caller, in: snapshot, sealer: sealer, now: now, logger: Logger(label: "test"))
        }
    }

    @Test func aSharedServerSendsItsOwnCredentialEvenForAnIdentityThatHasOne() throws {
        let world = try World(mode: .shared)
        #expect(try world.auth(for: world.alice).get() == .bearer(token: "shared-token"))
    }

    @Test func aPerIdentityServerSendsEachIdentitysOwnCredentialAndRefusesAnIdentityWithout() throws {
        let world = try World(mode: .perIdentity)
        #expect(try world.auth(for: world.alice).get() == .bearer(token: "alice-token"))
        guard case .failure(let failure) = world.auth(for: world.bob) else {
            Issue.record("bob has no credential and must not get the server's")
            return
        }
        #expect(failure.rpcError.code == -32001)
        #expect(failure.rpcError.message.contains("'bob' has no upstream credential for server 'runpod'"))
        #expect(failure.reason.hasPrefix("no credential"))
    }

    @Test func perIdentityOrSharedFallsBackToTheServersCredential() throws {
        let world = try World(mode: .perIdentityOrShared)
        #expect(try world.auth(for: world.alice).get() == .bearer(token: "alice-token"))
        #expect(try world.auth(for: world.bob).get() == .bearer(token: "shared-token"))
    }

    @Test func anExpiredOAuthAccessTokenCountsAsNoCredential() throws {
        let now = Date()
        let world = try World(mode: .perIdentity, aliceExpiresAt: now.addingTimeInterval(-1))
        #expect(throws: UpstreamFailure.self) { try world.auth(for: world.alice, now: now).get() }
        let fresh = try World(mode: .perIdentity, aliceExpiresAt: now.addingTimeInterval(60))
        #expect(try fresh.auth(for: fresh.alice, now: now).get() == .bearer(token: "alice-token"))
    }

    @Test func anUnknownCredentialModeFromANewerControlPlaneNeverFallsBackToTheSharedCredential() {
        #expect(UpstreamCredentialMode(storedValue: "per_identity_with_something_new") == .perIdentity)
        #expect(UpstreamCredentialMode(storedValue: "shared") == .shared)
    }
}
