import AsyncHTTPClient
import Foundation
import NIOCore
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
        let (status, body) = try await post("/v1/signup", json: [
            "account_name": "Acme \(UUID().uuidString.prefix(8))", "email": email, "password": "correct horse battery",
        ])
        guard status == 201, let answer = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let key = answer["api_key"] as? String else { throw FixtureError("signup answered \(status): \(body)") }
        return key
    }

    /// Creates an identity through the admin API; returns its id.
    func createIdentity(label: String, apiKey: String) async throws -> UUID {
        let (status, body) = try await post("/v1/identities", json: ["label": label], apiKey: apiKey)
        guard status == 201, let answer = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let id = (answer["id"] as? String).flatMap(UUID.init(uuidString:)) else { throw FixtureError("identity answered \(status): \(body)") }
        return id
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

    private func post(_ path: String, json: [String: String], apiKey: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
func eventually(within timeout: Duration, _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return condition()
}
