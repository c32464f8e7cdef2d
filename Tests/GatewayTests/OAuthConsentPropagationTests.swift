import Foundation
import Shared
import Testing

@testable import Gateway

/// Issue 14 item 3: an OAuth client calls within milliseconds of its token exchange, and the
/// worker's snapshot may not hold the consent's authorization yet. The token names the change
/// number it was issued at; a worker behind it waits for that snapshot instead of refusing.
@Suite(.timeLimit(.minutes(1)))
struct OAuthConsentPropagationTests {
    /// The world's snapshot without the authorization, as a worker one change behind holds it.
    private func snapshotWithoutTheAuthorization(_ world: OAuthWorld) -> EnforcementSnapshot {
        var entities = world.entities
        entities.oauthAuthorizations.removeAll { $0.id == world.authorization.id }
        return EnforcementSnapshot(FullSnapshot(version: 1, entities: entities))
    }

    private func token(_ world: OAuthWorld, issuedAtVersion version: Int64) async throws -> String {
        var claims = world.mint.claims(world.authorization, resource: world.resource)
        claims.snapshotVersion = version
        return try await world.mint.sign(claims)
    }

    @Test func aTokenIssuedAfterTheSnapshotForAnAuthorizationItLacksWaitsForThatVersion() async throws {
        let world = OAuthWorld()
        let token = try await token(world, issuedAtVersion: 2)
        guard case .awaitingSnapshot(let version) = world.authenticate(token, in: snapshotWithoutTheAuthorization(world)) else {
            Issue.record("a token newer than the snapshot was not held for it")
            return
        }
        #expect(version == 2)
        let caught = EnforcementSnapshot(FullSnapshot(version: 2, entities: world.entities))
        #expect(world.authenticate(token, in: caught).caller?.grant.id == world.authorization.grantID)
    }

    /// A snapshot already at the token's version that lacks the authorization is the answer: the
    /// authorization is gone, and nothing is waited for.
    @Test func aSnapshotAtTheTokensVersionWithoutTheAuthorizationRefusesAtOnce() async throws {
        let world = OAuthWorld()
        let token = try await token(world, issuedAtVersion: 1)
        #expect(world.authenticate(token, in: snapshotWithoutTheAuthorization(world)).refusal == .invalidAccessToken)
    }

    @Test func theStoreHandsOverTheSnapshotOnceItReachesTheVersionAndNilAfterTheWait() async throws {
        let world = OAuthWorld()
        let store = SnapshotStore()
        store.swap(EnforcementSnapshot(FullSnapshot(version: 1, entities: world.entities)), confirmedAt: nil)
        #expect(await store.snapshot(atLeast: 2, within: .milliseconds(100)) == nil)
        async let waited = store.snapshot(atLeast: 2, within: .seconds(20))
        try await Task.sleep(for: .milliseconds(50))
        store.swap(EnforcementSnapshot(FullSnapshot(version: 2, entities: world.entities)), confirmedAt: Date())
        #expect(await waited?.version == 2)
    }
}
