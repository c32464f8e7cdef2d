import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Shared
import TestSupport

@testable import ControlPlane
import JSON

/// Hashing passwords with the production iteration count would make every sign-up take a second.
let fastPasswordHasher = PasswordHasher(iterations: 1_000)

/// Runs `body` against the real router on a fresh migrated database, through `app.test(.router)`.
func withAPI(
    signup: SignupMode = .open,
    authenticationRate: ClientRateLimiter.Rate = .init(burst: 10_000, refillInterval: 1),
    workerTokens: [String] = [],
    configure: (inout APIConfiguration) -> Void = { _ in },
    _ body: @Sendable (APIClient, Database) async throws -> Void
) async throws {
    try await withTestDatabase { database, _ in
        var configuration = APIConfiguration(signup: signup, passwordHasher: fastPasswordHasher, authenticationRate: authenticationRate)
        configuration.workerTokens = workerTokens
        configuration.auditChainKeys = .forTests
        configure(&configuration)
        let app = Application(router: buildRouter(database: database, metrics: PrometheusCollectorRegistry(), configuration: configuration))
        try await app.test(.router) { client in
            try await body(APIClient(client: client), database)
        }
    }
}

/// A response as tests look at it: status, headers and the body parsed as JSON (nil when empty or not JSON).
struct APIResponse {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let json: JSONValue?

    subscript(_ key: String) -> JSONValue? { json?[key] }

    /// The pointers of a validation problem's `errors`.
    var errorPointers: [String] {
        json?["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
    }

    var isProblem: Bool { headers[.contentType] == "application/problem+json" && json?["status"] != nil }
}

/// Sends requests to the app under test with an optional API key and a raw or JSON body.
struct APIClient {
    let client: any TestClientProtocol

    func send(_ method: HTTPRequest.Method, _ path: String, key: String? = nil, raw: String? = nil) async throws -> APIResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        if raw != nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: raw.map { ByteBuffer(string: $0) })
        let bytes = Array(buffer: response.body)
        return APIResponse(status: response.status, headers: response.headers, json: try? JSONValue.parse(bytes))
    }

    func send(_ method: HTTPRequest.Method, _ path: String, key: String? = nil, json: JSONValue) async throws -> APIResponse {
        try await send(method, path, key: key, raw: json.serialized())
    }

    /// Signs up a new account and returns its first admin.
    func signup(_ name: String = "Acme", email: String? = nil) async throws -> Caller {
        let email = email ?? "admin-\(UUID().uuidString.prefix(8))@example.com"
        let response = try await send(.post, "/v1/signup", json: ["account_name": .string(name), "email": .string(email), "password": "correct horse battery"])
        guard response.status == .created, let key = response["api_key"]?.stringValue,
              let account = response["account"]?["id"]?.stringValue, let member = response["member"]?["id"]?.stringValue
        else { throw TestFailure("signup failed: \(response.status) \(String(describing: response.json))") }
        return Caller(key: key, accountID: account, memberID: member, email: email)
    }

    /// Adds a member with `role` to `admin`'s account and returns it with a fresh API key.
    func addMember(_ role: String, by admin: Caller) async throws -> Caller {
        let email = "\(role)-\(UUID().uuidString.prefix(8))@example.com"
        let created = try await send(.post, "/v1/members", key: admin.key, json: ["email": .string(email), "password": "correct horse battery", "role": .string(role)])
        guard created.status == .created, let member = created["id"]?.stringValue else {
            throw TestFailure("adding a member failed: \(created.status) \(String(describing: created.json))")
        }
        let login = try await send(.post, "/v1/login", json: ["email": .string(email), "password": "correct horse battery"])
        guard let key = login["api_key"]?.stringValue else { throw TestFailure("login failed: \(login.status)") }
        return Caller(key: key, accountID: admin.accountID, memberID: member, email: email)
    }
}

/// A member of an account as a test drives it.
struct Caller {
    let key: String
    let accountID: String
    let memberID: String
    let email: String
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
