import Foundation
import Shared
import Testing

@testable import Gateway

/// Issue 14 item 5: one identity's upstream credential must never be sent for another's calls.
struct AdversarialIdentityCredentialTests {
    typealias World = CallerUpstreamAuthTests.World

    @Test func aCredentialFiledUnderAnotherIdentityDoesNotOpenForIt() throws {
        // Alice's sealed token copied into a row for bob (a tampered database or snapshot).
        var world = try World(mode: .perIdentity)
        world.entities.identityCredentials.append(try world.credential(.bearer(token: "alice-token"), identity: world.bob, sealedFor: world.alice))
        guard case .failure(let failure) = world.auth(for: world.bob) else {
            Issue.record("alice's credential opened for bob")
            return
        }
        #expect(failure.reason.hasPrefix("unreachable"))
        #expect(!failure.rpcError.message.contains("alice-token"))
    }

    @Test func theServersOwnCiphertextDoesNotOpenAsAnIdentitysCredential() throws {
        var world = try World(mode: .perIdentity)
        let shared = try #require(world.entities.servers.first?.sealedCredentials)
        var moved = try world.credential(.bearer(token: "placeholder"), identity: world.bob)
        moved.sealedCredentials = shared
        world.entities.identityCredentials.append(moved)
        #expect(throws: UpstreamFailure.self) { try world.auth(for: world.bob).get() }
    }
}
