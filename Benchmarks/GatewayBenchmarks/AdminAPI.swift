import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import NIOHTTP1
import Shared

/// The admin API calls that set the benchmark up: an account, the upstream server, a policy, an
/// identity and its grant.
struct AdminAPI {
    let baseURL: String

    /// Signs up a fresh account; returns its admin API key.
    func signUp() async throws -> String {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let answer = try await post("/v1/signup", [
            "account_name": .string("Bench \(suffix)"), "email": .string("bench-\(suffix)@acme.example"),
            "password": "correct horse battery",
        ])
        return try answer.string("api_key")
    }

    /// Registers the upstream (the control plane discovers its tools before answering); returns its id.
    func createServer(name: String, url: String, apiKey: String) async throws -> String {
        try await post("/v1/servers", ["name": .string(name), "url": .string(url), "auth": ["type": "none"]], apiKey: apiKey).string("id")
    }

    func createPolicy(serverID: String, document: String, apiKey: String) async throws -> String {
        let body: JSONValue = ["name": "bench", "server_id": .string(serverID), "document": try JSONParser().parse(document)]
        return try await post("/v1/policies", body, apiKey: apiKey).string("id")
    }

    /// Commits a new version of the policy (`PUT /v1/policies/{id}`).
    func updatePolicy(id: String, document: String, apiKey: String) async throws {
        let body: JSONValue = ["document": try JSONParser().parse(document)]
        _ = try await send(.PUT, "/v1/policies/\(id)", body, apiKey: apiKey, expecting: .ok)
    }

    func createIdentity(label: String, apiKey: String) async throws -> String {
        try await post("/v1/identities", ["label": .string(label)], apiKey: apiKey).string("id")
    }

    /// Issues a grant; returns its token (shown only in this answer).
    func createGrant(identityID: String, serverID: String, policyID: String, apiKey: String) async throws -> String {
        let body: JSONValue = ["identity_id": .string(identityID), "server_id": .string(serverID), "policy_id": .string(policyID)]
        return try await post("/v1/grants", body, apiKey: apiKey).string("token")
    }

    private func post(_ path: String, _ body: JSONValue, apiKey: String? = nil) async throws -> Answer {
        try await send(.POST, path, body, apiKey: apiKey, expecting: .created)
    }

    private func send(_ method: HTTPMethod, _ path: String, _ body: JSONValue, apiKey: String?, expecting expected: HTTPResponseStatus) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        request.body = .bytes(ByteBuffer(bytes: body.serializedBytes()))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status == expected else { throw BenchmarkError("\(method) \(path) answered \(response.status.code): \(text)") }
        return Answer(path: path, json: try JSONParser().parse(text))
    }

    struct Answer {
        let path: String
        let json: JSONValue

        func string(_ key: String) throws -> String {
            guard let value = json[key]?.stringValue else { throw BenchmarkError("POST \(path): no \(key) in \(json.serialized())") }
            return value
        }
    }
}
