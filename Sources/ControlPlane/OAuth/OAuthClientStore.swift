import Foundation
import JSON
import Shared

/// Dynamically registered clients (RFC 7591) in `oauth_clients`: installation-wide, owner only.
struct OAuthClientStore: Sendable {
    let database: Database

    func register(name: String?, redirectURIs: [String], authMethod: OAuthClient.AuthMethod) async throws -> (OAuthClient, SecretToken?) {
        let clientID = UUID().uuidString.lowercased()
        let secret = authMethod == .none ? nil : SecretToken.generate(.oauthClientSecret)
        try await database.execute("""
            INSERT INTO oauth_clients (client_id, client_secret_hash, client_name, redirect_uris, token_endpoint_auth_method)
            VALUES (\(clientID), \(secret?.hash), \(name), \(TextArray(redirectURIs)), \(authMethod.rawValue))
            """)
        return (OAuthClient(clientID: clientID, name: name, redirectURIs: redirectURIs, authMethod: authMethod, secretHash: secret?.hash), secret)
    }

    func find(_ clientID: String) async throws -> OAuthClient? {
        // Registered ids are UUIDs; anything else cannot be one (and is not worth a query).
        guard UUID(uuidString: clientID) != nil else { return nil }
        guard let row = try await database.query("""
            SELECT client_id, client_secret_hash, client_name, array_to_json(redirect_uris)::text AS redirect_uris, token_endpoint_auth_method
            FROM oauth_clients WHERE client_id = \(clientID.lowercased())
            """).first else { return nil }
        let uris = (try? JSONValue.parse(try row.decode("redirect_uris", as: String.self)))?.arrayValue?.compactMap(\.stringValue) ?? []
        return OAuthClient(
            clientID: try row.decode("client_id"), name: try row.decode("client_name"), redirectURIs: uris,
            authMethod: OAuthClient.AuthMethod(rawValue: try row.decode("token_endpoint_auth_method")) ?? .none,
            secretHash: try row.decode("client_secret_hash"))
    }
}
