import Foundation
import JWTKit
import Shared

/// Issues access tokens (issue 14 items 2-3): RFC 9068 JWTs (`typ: at+jwt`) signed with the
/// current Ed25519 key, which every worker verifies from the snapshot.
struct AccessTokenSigner: Sendable {
    let keys: OAuthSigningKeyStore
    let settings: OAuthSettings

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
        let key = try await keys.current()
        let claims = AccessTokenClaims(
            iss: settings.issuer, sub: subject.identityID.uuidString.lowercased(), aud: subject.resource,
            exp: now + Double(settings.accessTokenLifetime.components.seconds), iat: now, jti: UUID().uuidString.lowercased(),
            clientID: subject.clientID, scope: subject.scope, authorizationID: subject.authorizationID,
            grantID: subject.grantID, accountID: subject.accountID,
            snapshotVersion: try await keys.database.withSession(SnapshotReader.currentVersion))
        let collection = JWTKeyCollection()
        await collection.add(eddsa: EdDSA.PrivateKey(backing: key.privateKey), kid: JWKIdentifier(string: key.kid))
        var header = JWTHeader()
        header.typ = "at+jwt"
        return try await collection.sign(claims, kid: JWKIdentifier(string: key.kid), header: header)
    }
}
