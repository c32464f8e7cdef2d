import Foundation
import Shared

/// Finds the client a `client_id` names: a metadata-document URL or a registration.
struct OAuthClientDirectory: Sendable {
    let registered: OAuthClientStore
    let documents: ClientMetadataDocuments

    /// Nil with a reason when the id names no usable client.
    func client(_ clientID: String) async throws -> Result<OAuthClient, ClientMetadataDocuments.Refusal> {
        guard !clientID.isEmpty, clientID.utf8.count <= 2000 else { return .failure(.init(description: "client_id is missing or too long")) }
        if OAuthClient.isMetadataDocumentURL(clientID) {
            do {
                return .success(try await documents.client(at: clientID))
            } catch {
                return .failure(error)
            }
        }
        guard let client = try await registered.find(clientID) else { return .failure(.init(description: "client_id is not registered")) }
        return .success(client)
    }
}
