import Foundation
import JWTKit
import Shared
import Synchronization

/// Issues access tokens (issue 14 items 2-3): RFC 9068 JWTs (`typ: at+jwt`) signed with the
/// current Ed25519 key, which every worker verifies from the snapshot.
struct AccessTokenSigner: Sendable {
    let keys: OAuthSigningKeyStore
    let settings: OAuthSettings
    private let opened = OpenedSigningKey()

    init(keys: OAuthSigningKeyStore, settings: OAuthSettings) {
        self.keys = keys
        self.settings = settings
    }

    /// What the token endpoint needs to know about the authorization a token is issued under.
    struct Subject: Sendable {
        let authorizationID: UUID
        let accountID: UUID
        let grantID: UUID
        let identityID: UUID
        let clientID: String
        let resource: String
        let scope: String
    }

    func sign(for subject: Subject, now: Date = Date()) async throws -> String {
        // One read per token: which key is current (so a rotation by `oauth-rotate-key` or another
        // replica is followed at once) and the change number the token carries. The key itself is
        // opened only when it changes (issue 14 leftover 8).
        let (currentKid, version) = try await keys.database.withSession { session in
            (try await keys.currentKid(session), try await SnapshotReader.currentVersion(session))
        }
        let (kid, collection) = try await opened.collection(for: currentKid) { try await keys.current() }
        let claims = AccessTokenClaims(
            iss: settings.issuer, sub: subject.identityID.uuidString.lowercased(), aud: subject.resource,
            exp: now + Double(settings.accessTokenLifetime.components.seconds), iat: now, jti: UUID().uuidString.lowercased(),
            clientID: subject.clientID, scope: subject.scope, authorizationID: subject.authorizationID,
            grantID: subject.grantID, accountID: subject.accountID, snapshotVersion: version)
        var header = JWTHeader()
        header.typ = "at+jwt"
        return try await collection.sign(claims, kid: JWKIdentifier(string: kid), header: header)
    }
}

/// The current signing key, unsealed and in a jwt-kit collection, kept until another key is
/// current: unsealing and importing it once per key, not once per token.
final class OpenedSigningKey: Sendable {
    private let state = Mutex<(kid: String, collection: JWTKeyCollection)?>(nil)

    /// The collection of the key `kid` names; `open` (the store's `current()`, which also makes
    /// the first key) when it is not the one held, or when there is no current key yet.
    func collection(
        for kid: String?, open: () async throws -> OAuthSigningKeyStore.SigningKey
    ) async throws -> (kid: String, collection: JWTKeyCollection) {
        if let kid, let held = state.withLock({ $0 }), held.kid == kid { return held }
        let key = try await open()
        let collection = JWTKeyCollection()
        await collection.add(eddsa: EdDSA.PrivateKey(backing: key.privateKey), kid: JWKIdentifier(string: key.kid))
        state.withLock { $0 = (key.kid, collection) }
        return (key.kid, collection)
    }
}
