import Crypto
import Foundation
import Hummingbird
import Shared

/// `GET /oauth/authorize` (issue 14 item 2): checks the client and its redirect URI, then PKCE,
/// resource and scope, stores the request for the member's decision and sends the browser to
/// the consent page.
///
/// A bad `client_id` or `redirect_uri` is answered 400 here and never redirected (OAuth 2.1
/// §4.1.2.1: redirecting to an unverified URI makes the server an open redirector); every later
/// error goes back to the verified redirect URI.
struct OAuthAuthorizeController {
    let settings: OAuthSettings
    let clients: OAuthClientDirectory
    let urls: GatewayURLs
    let database: Database
    let tenants: TenantDatabase
    let throttle: AuthenticationThrottle

    /// Longer `state` values are refused: the client only needs an unguessable nonce.
    static let maximumStateBytes = 1024

    func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/oauth/authorize", use: authorize)
    }

    @Sendable func authorize(request: Request, context: APIRequestContext) async throws -> Response {
        try throttle.admit(request, context: context)
        let parameters = try OAuthParameters(encoded: request.uri.query ?? "")
        let clientID = try parameters.required("client_id")
        let client: OAuthClient
        switch try await clients.client(clientID) {
        case .success(let found): client = found
        case .failure(let refusal): throw OAuthError.invalidRequest("Unknown client: \(refusal.description).")
        }
        let redirectURI: String
        if let presented = parameters["redirect_uri"] {
            guard let matched = client.redirectURI(matching: presented) else {
                throw OAuthError.invalidRequest("redirect_uri is not one of the client's registered redirect URIs.")
            }
            redirectURI = matched
        } else {
            guard client.redirectURIs.count == 1 else {
                throw OAuthError.invalidRequest("redirect_uri is required: the client has several.")
            }
            redirectURI = client.redirectURIs[0]
        }
        let state = parameters["state"]
        func back(_ error: String, _ description: String) -> Response {
            let location = OAuthRedirect.url(redirectURI, [
                ("error", error), ("error_description", description), ("state", state), ("iss", settings.issuer),
            ])
            return Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
        }
        guard parameters["response_type"] == "code" else { return back("unsupported_response_type", "response_type must be code.") }
        // PKCE is mandatory and S256 only: `plain` (or no method, which RFC 7636 reads as plain)
        // would hand the verifier to anyone who sees the request (issue 14 item 2).
        guard let challenge = parameters["code_challenge"], PKCE.isValidChallenge(challenge) else {
            return back("invalid_request", "code_challenge is required (43 base64url characters, S256).")
        }
        guard parameters["code_challenge_method"] == "S256" else {
            return back("invalid_request", "code_challenge_method must be S256.")
        }
        guard (state?.utf8.count ?? 0) <= Self.maximumStateBytes else {
            return back("invalid_request", "state is longer than \(Self.maximumStateBytes) bytes.")
        }
        guard let scope = OAuthScopes.granted(requested: parameters["scope"]) else {
            return back("invalid_scope", "The scopes are \(OAuthScopes.supported.joined(separator: " ")).")
        }
        guard let resource = parameters["resource"] else {
            return back("invalid_target", "resource is required: the gateway URL of the server (\(urls.base)/mcp/<server id>).")
        }
        guard let (serverID, accountID) = try await server(for: resource) else {
            return back("invalid_target", "resource is not a server of this gateway.")
        }
        let requestID = try await tenants.transaction(account: accountID) { tx in
            try await OAuthAuthorizationStore(tx: tx).createRequest(.init(
                serverID: serverID, client: client, redirectURI: redirectURI, resource: resource, scope: scope, state: state,
                codeChallenge: challenge))
        }
        let consent = settings.url("/oauth/consent?request=\(requestID.uuidString.lowercased())")
        return Response(status: .seeOther, headers: [.location: consent, .cacheControl: "no-store"])
    }

    /// The server a resource URL names, with its account. Read as the owner: the caller is not
    /// signed in yet, and the id is only a lookup key (the member's account is checked at consent).
    private func server(for resource: String) async throws -> (UUID, UUID)? {
        let prefix = urls.base + "/mcp/"
        guard resource.hasPrefix(prefix), let id = UUID(uuidString: String(resource.dropFirst(prefix.count))),
              urls.gatewayURL(server: id) == resource
        else { return nil }
        guard let row = try await database.query("SELECT account_id FROM servers WHERE id = \(id)").first else { return nil }
        return (id, try row.decode("account_id"))
    }
}

/// PKCE S256 (RFC 7636).
enum PKCE {
    private static let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    /// A S256 challenge is a base64url SHA-256: exactly 43 characters.
    static func isValidChallenge(_ text: String) -> Bool {
        text.utf8.count == 43 && Base64URL.decode(text)?.count == 32
    }

    /// RFC 7636 §4.1: 43 to 128 unreserved characters.
    static func isValidVerifier(_ text: String) -> Bool {
        (43...128).contains(text.utf8.count) && text.utf8.allSatisfy(alphabet.contains)
    }

    static func challenge(of verifier: String) -> String {
        Base64URL.encode(SHA256.hash(data: Array(verifier.utf8)))
    }
}
