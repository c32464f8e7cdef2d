import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import NIOHTTP1
import Shared
import TestSupport

/// A `controlplane` child process on a test database, with a worker token it accepts, and the
/// admin API calls the snapshot tests make through it.
struct ControlPlaneFixture {
    let server: RunningServer
    let workerToken: String

    static func start(conninfo: String, arguments: [String] = []) async throws -> ControlPlaneFixture {
        let workerToken = try ChildProcess.run(["\(builtProductsFolder())/controlplane", "new-token", "worker"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await RunningServer.start("controlplane", [
            "--worker-tokens", workerToken, "--database-url", conninfo, "--password-hash-iterations", "1000",
        ] + arguments)
        return ControlPlaneFixture(server: server, workerToken: workerToken)
    }

    /// Signs up a fresh account; returns its admin API key.
    func signUp() async throws -> String {
        let email = "ops-\(UUID().uuidString.prefix(8).lowercased())@acme.example"
        let (status, answer) = try await call(.POST, "/v1/signup", [
            "account_name": .string("Acme \(UUID().uuidString.prefix(8))"), "email": .string(email), "password": "correct horse battery",
        ])
        guard status == 201, let key = answer["api_key"]?.stringValue else { throw FixtureError("signup answered \(status): \(answer.serialized())") }
        return key
    }

    /// Creates an identity through the admin API; returns its id.
    func createIdentity(label: String, apiKey: String) async throws -> UUID {
        let (status, answer) = try await call(.POST, "/v1/identities", ["label": .string(label)], apiKey: apiKey)
        guard status == 201, let id = answer["id"]?.stringValue.flatMap(UUID.init(uuidString:)) else {
            throw FixtureError("identity answered \(status): \(answer.serialized())")
        }
        return id
    }

    /// One admin API request; the answer's JSON body (null when empty).
    func call(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil, apiKey: String? = nil) async throws -> (status: Int, body: JSONValue) {
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.method = method
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.serializedBytes()))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let json = bytes.readableBytes == 0 ? JSONValue.null : try JSONParser().parse(Array(bytes.readableBytesView))
        return (Int(response.status.code), json)
    }

    /// Stops the control plane as an operator would, and waits until it is gone.
    func stop() async throws {
        server.process.signal(SIGTERM)
        let status = try await server.process.waitForExit(timeout: .seconds(15))
        defer { server.process.removeOutput() }
        guard status != nil else {
            server.process.signal(SIGKILL)
            throw FixtureError("the control plane did not stop in 15 s: \(server.process.output)")
        }
    }

    /// Kills the control plane at once, as a crash would. SIGTERM waits for held long-polls, up to
    /// the worker's wait (30 s for the gateway binary), since the handler does not see the worker go.
    func kill() async throws {
        server.process.signal(SIGKILL)
        _ = try await server.process.waitForExit(timeout: .seconds(15))
        server.process.removeOutput()
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
func eventually(within timeout: Duration, _ condition: () async -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return await condition()
}
