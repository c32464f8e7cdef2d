extension AuthenticationMethod {
    /// `audit_events.auth_method` (issue 14 item 6).
    var auditName: String {
        switch self {
        case .grantToken: "grant_token"
        case .oauthClient: "oauth"
        case .externalIssuer: "external_issuer"
        }
    }

    /// `audit_events.auth_client_id`: the OAuth client, when the caller is one.
    var clientID: String? {
        switch self {
        case .grantToken: nil
        case .oauthClient(let clientID): clientID
        case .externalIssuer(_, let clientID): clientID
        }
    }
}
