import Foundation
import Shared

@testable import ControlPlane
import JSON

/// 32 zero-free bytes as an operator key, so sealing works in tests.
let testSecretKeys = "v1:" + Data((1...32).map { UInt8($0) }).base64EncodedString()

/// The demo's and the tests' exception to the SSRF guard: plain http to loopback, with credentials
/// sealed under `testSecretKeys`.
func allowLoopbackUpstreams(_ configuration: inout APIConfiguration) {
    let policy = UpstreamAddressPolicy(allowsPlainHTTP: true, allowedNetworks: [IPNetwork("127.0.0.0/8")!])
    configuration.upstreamAddressGuard = UpstreamAddressGuard(policy: policy)
    configuration.credentialSealer = SecretSealer(keyRing: try! SecretKeyRing(parsing: testSecretKeys), purpose: .upstreamCredentials)
    configuration.discoveryClient = MCPClientConfiguration(connectTimeout: .seconds(2), requestTimeout: .seconds(5))
}

extension APIClient {
    /// Registers a server and expects 201.
    func registerServer(
        _ name: String = "runpod", url: String, auth: JSONValue = ["type": "none"], by caller: Caller
    ) async throws -> APIResponse {
        let response = try await send(.post, "/v1/servers", key: caller.key, json: ["name": .string(name), "url": .string(url), "auth": auth])
        guard response.status == .created else {
            throw TestFailure("registering a server failed: \(response.status) \(String(describing: response.json))")
        }
        return response
    }

    /// The catalog of a server as a dictionary by tool name.
    func tools(of server: String, by caller: Caller) async throws -> [String: JSONValue] {
        let response = try await send(.get, "/v1/servers/\(server)/tools?limit=200", key: caller.key)
        guard response.status == .ok, let items = response["items"]?.arrayValue else {
            throw TestFailure("listing tools failed: \(response.status)")
        }
        return Dictionary(uniqueKeysWithValues: items.map { ($0["name"]!.stringValue!, $0) })
    }
}

extension APIResponse {
    /// The `id` of the object this answer describes.
    var objectID: String { json?["id"]?.stringValue ?? "" }
    /// The body as JSON text, to search for strings that must never appear.
    var bodyText: String { json?.serialized() ?? "" }
}
