import Foundation
import Logging
import Shared

/// Which credential a call sends upstream (design.md §5.4, issue 14 item 5): the server's own, or
/// the calling identity's own, as the server's `credentialMode` says.
///
/// The agent's own `Authorization` never goes (`UpstreamHeaders` forwards an allowlist), and no
/// other identity's credential can: the credential is looked up by the caller's identity, and it
/// is opened under the caller's identity's binding, so a row moved to another identity does not open.
enum CallerUpstreamAuth {
    static func auth(
        for caller: AuthenticatedGrant, in snapshot: EnforcementSnapshot, sealer: SecretSealer, now: Date, logger: Logger
    ) -> Result<UpstreamAuth, UpstreamFailure> {
        let server = caller.server
        let mode = UpstreamCredentialMode(storedValue: server.credentialMode)
        if mode != .shared {
            let key = EnforcementSnapshot.IdentityServerKey(identityID: caller.identity.id, serverID: server.id)
            // An OAuth access token past its expiry is as good as none: the upstream would refuse it.
            if let own = snapshot.identityCredentials[key], own.expiresAt.map({ $0 > now }) ?? true {
                do {
                    return .success(try UpstreamAuth(
                        storedType: own.authType, sealedBytes: Data(base64Encoded: own.sealedCredentials).map(Array.init) ?? [],
                        sealer: sealer, boundTo: UpstreamAuth.binding(account: server.accountID, server: server.id, identity: caller.identity.id)))
                } catch {
                    logger.error("an identity's upstream credential does not open", metadata: [
                        "server.id": "\(server.id)", "identity.id": "\(caller.identity.id)", "error": "\(error)",
                    ])
                    return .failure(UpstreamFailure(reason: "unreachable: the identity's credentials cannot be opened by this gateway"))
                }
            }
            if mode == .perIdentity { return .failure(.noIdentityCredential(identity: caller.identity, server: server)) }
        }
        do {
            return .success(try UpstreamAuth(
                storedType: server.authType, sealedBytes: server.sealedCredentials.flatMap { Data(base64Encoded: $0) }.map(Array.init),
                sealer: sealer, account: server.accountID, server: server.id))
        } catch {
            logger.error("upstream credentials do not open", metadata: ["server.id": "\(server.id)", "error": "\(error)"])
            return .failure(UpstreamFailure(reason: "unreachable: the server's credentials cannot be opened by this gateway"))
        }
    }
}
