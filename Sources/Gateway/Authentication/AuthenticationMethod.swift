/// How a caller proved who it is (issue 14 item 6): audited with every event it causes.
enum AuthenticationMethod: Sendable, Equatable {
    /// A `pcs_gt_` grant token, in the Authorization header or the secret URL.
    case grantToken
    /// An access token the control plane issued to an OAuth client after a member's consent.
    case oauthClient(clientID: String)
    /// A token from an OIDC issuer the account trusts; `clientID` is its `azp` or `client_id` when present.
    case externalIssuer(issuer: String, clientID: String?)
}
