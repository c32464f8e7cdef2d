import Foundation
import Hummingbird
import JSON
import Shared

/// `POST /oauth/register`: RFC 7591 dynamic client registration, for clients that do not publish a
/// Client ID Metadata Document (issue 14 item 2). Unauthenticated, hence rate-limited per client
/// address and bounded in size; unknown metadata is ignored (RFC 7591 §2).
struct OAuthRegistrationController {
    let store: OAuthClientStore
    let throttle: AuthenticationThrottle

    static let maximumBodyBytes = 16 * 1024
    static let maximumRedirectURIs = 10

    func addRoutes(to router: Router<APIRequestContext>) {
        router.post("/oauth/register", use: register)
    }

    @Sendable func register(request: Request, context: APIRequestContext) async throws -> Response {
        try throttle.admit(request, context: context)
        let buffer = try await request.body.collect(upTo: Self.maximumBodyBytes)
        guard let metadata = try? JSONValue.parse(Array(buffer: buffer)), metadata.objectValue != nil else {
            throw OAuthError.invalidClientMetadata("The body must be a JSON object of client metadata.")
        }
        // PostgreSQL text cannot store a NUL, and a URL or name holding one is no one's (issue 14 leftover 7).
        guard !Self.holdsNUL(metadata) else { throw OAuthError.invalidClientMetadata("The client metadata holds a NUL character.") }
        // RFC 7591 §2 makes client_secret_basic the default; MCP clients register as public ones.
        let methodName = metadata["token_endpoint_auth_method"]?.stringValue ?? "client_secret_basic"
        guard let method = OAuthClient.AuthMethod(rawValue: methodName) else {
            throw OAuthError.invalidClientMetadata("token_endpoint_auth_method must be none, client_secret_post or client_secret_basic.")
        }
        guard let uriValues = metadata["redirect_uris"]?.arrayValue, !uriValues.isEmpty, uriValues.count <= Self.maximumRedirectURIs else {
            throw OAuthError.invalidRedirectURI("redirect_uris must list 1 to \(Self.maximumRedirectURIs) URIs.")
        }
        var uris: [String] = []
        for value in uriValues {
            guard let uri = value.stringValue else { throw OAuthError.invalidRedirectURI("redirect_uris must be strings.") }
            if let refusal = RedirectURIRules.refusal(uri, publicClient: method == .none) { throw OAuthError.invalidRedirectURI("The redirect URI \(refusal).") }
            uris.append(uri)
        }
        let grantTypes = metadata["grant_types"]?.arrayValue?.compactMap(\.stringValue) ?? ["authorization_code"]
        guard Set(grantTypes).isSubset(of: ["authorization_code", "refresh_token"]) else {
            throw OAuthError.invalidClientMetadata("grant_types may only be authorization_code and refresh_token.")
        }
        let responseTypes = metadata["response_types"]?.arrayValue?.compactMap(\.stringValue) ?? ["code"]
        guard Set(responseTypes).isSubset(of: ["code"]) else { throw OAuthError.invalidClientMetadata("response_types may only be code.") }
        var name: String?
        if let value = metadata["client_name"] {
            guard let text = value.stringValue, FieldRules.name(text) == nil else {
                throw OAuthError.invalidClientMetadata("client_name must be 1 to 200 characters.")
            }
            name = text
        }
        let (client, secret) = try await store.register(name: name, redirectURIs: uris, authMethod: method)
        var body = JSONObject([
            ("client_id", .string(client.clientID)),
            ("client_id_issued_at", .number(JSONNumber(Int(Date().timeIntervalSince1970)))),
            ("redirect_uris", .array(uris.map(JSONValue.string))),
            ("token_endpoint_auth_method", .string(method.rawValue)),
            ("grant_types", .array(grantTypes.map(JSONValue.string))),
            ("response_types", .array(responseTypes.map(JSONValue.string))),
        ])
        if let name { body["client_name"] = .string(name) }
        if let secret {
            body["client_secret"] = .string(secret.text)
            body["client_secret_expires_at"] = 0
        }
        return Response(
            status: .created, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: JSONValue.object(body).serializedBytes())))
    }

    /// Whether a string anywhere in `value`, or a member name, holds a NUL.
    private static func holdsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): text.unicodeScalars.contains("\0")
        case .array(let items): items.contains(where: holdsNUL)
        case .object(let object): object.members.contains { $0.key.unicodeScalars.contains("\0") || holdsNUL($0.value) }
        case .null, .bool, .number: false
        }
    }
}
