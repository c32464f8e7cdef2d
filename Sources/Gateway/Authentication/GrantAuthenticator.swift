import Foundation
import PolicyEngine
import Shared

/// The caller of a request, resolved from the snapshot alone: the hot path never asks the control
/// plane or the database who a caller is (design.md §1, §5.1).
struct AuthenticatedGrant: Sendable {
    let grant: SnapshotGrant
    let identity: SnapshotIdentity
    let server: SnapshotServer
    /// Nil when the grant has no policy, or its policy was deleted: every call is denied (design.md §2).
    let policy: EnforcementSnapshot.Policy?
    /// Whose counters the grant's calls count against.
    let counterOwner: CounterOwner
    var method: AuthenticationMethod = .grantToken
    /// What the caller may do (issue 14 item 1): a grant token everything, an access token its scopes.
    var scopes: MCPScopes = .all
}

/// Why a request is refused before anything else (design.md §5.3): 401 with `WWW-Authenticate: Bearer`
/// for a missing, unknown, revoked or expired grant token; 403 for a grant used on another
/// server's URL. The messages never echo the token.
enum GrantRefusal: Error, Equatable {
    case missingToken, unknownToken, revoked, expired, wrongServer
    /// A token from a trusted identity provider that does not verify or maps to no grant (issue 14
    /// item 4), with what is wrong in words the caller can act on; never the token itself.
    case externalToken(String)
    /// An OAuth access token (issue 14 item 3): one that does not verify says only that it is not
    /// valid; the others are told to a caller whose token's signature verified.
    case invalidAccessToken, accessTokenExpired, otherResource, authorizationRevoked

    var httpStatus: Int { self == .wrongServer ? 403 : 401 }

    var message: String {
        switch self {
        case .missingToken: "A grant token is required: Authorization: Bearer pcs_gt_..."
        case .unknownToken: "The grant token is not valid."
        case .revoked: "The grant has been revoked."
        case .expired: "The grant has expired."
        case .wrongServer: "The grant is not for this server."
        case .externalToken(let reason): reason
        case .invalidAccessToken: "The access token is not valid."
        case .accessTokenExpired: "The access token has expired."
        case .otherResource: "The access token is for another server."
        case .authorizationRevoked: "The authorization has been revoked."
        }
    }
}

enum GrantAuthenticator {
    /// The token of an `Authorization: Bearer ...` header, if there is one.
    static func bearerToken(_ header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// The grant a token names, whatever its state (revoked, expired): `check` judges it, and a
    /// refusal of a known grant is audited on its account (issue 10 item 4).
    static func grant(of token: String, in snapshot: EnforcementSnapshot) -> AuthenticatedGrant? {
        // The checksum rejects typos and garbage without hashing or a lookup.
        guard SecretToken.parse(token, as: .grant) != nil else { return nil }
        let hash = SecretToken.hash(of: token).lowercaseHex
        return snapshot.grantsByTokenHash[hash].flatMap { caller(of: $0, in: snapshot) }
    }

    /// The caller a grant makes, whatever the grant's state; nil when the snapshot lacks its identity
    /// or server. Shared by every way of authenticating: the grant decides what is allowed.
    static func caller(of grant: SnapshotGrant, in snapshot: EnforcementSnapshot) -> AuthenticatedGrant? {
        guard let identity = snapshot.identitiesByID[grant.identityID],
              let server = snapshot.serversByID[grant.serverID],
              let counterOwner = snapshot.counterOwners[grant.id]
        else { return nil }
        let policy = grant.policyID.flatMap { snapshot.policiesByID[$0] }
        return AuthenticatedGrant(grant: grant, identity: identity, server: server, policy: policy, counterOwner: counterOwner)
    }

    /// The state checks every credential ends with, in this order: revoked, expired, for this server.
    static func check(_ caller: AuthenticatedGrant, serverID: UUID?, now: Date) -> GrantRefusal? {
        if caller.grant.revoked { return .revoked }
        if let expiry = caller.grant.expiresAt, expiry <= now { return .expired }
        if let serverID, serverID != caller.grant.serverID { return .wrongServer }
        return nil
    }
}
