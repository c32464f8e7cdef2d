import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import NIOHTTP1
import Shared
import TestSupport

/// PostgreSQL, a control plane and gateway workers as processes, a fake upstream in-process, all
/// set up through the admin API as an operator would: the integration tests of issue 5.
struct GatewayHarness: Sendable {
    let conninfo: String
    let database: Database
    let controlPlane: ControlPlaneFixture
    let secretKeys: String
    let apiKey: String

    /// What a worker needs to start without a control plane or database.
    static func standaloneArguments() -> [String] {
        ["--secret-keys", newSecretKeys(), "--audit-spool-dir", temporaryFolder("spool")]
    }

    static func newSecretKeys() -> String {
        "v1:" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    static func temporaryFolder(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-\(name)-\(UUID().uuidString)").path
    }

    static func with<T>(_ body: (GatewayHarness) async throws -> T) async throws -> T {
        try await withTestDatabase(poolSize: 2) { database, conninfo in
            try await with(conninfo: conninfo, database: database, body)
        }
    }

    /// The harness on a database of the caller's (a replicated pair, a pooler in front):
    /// `conninfo` is what the control plane gets, and the workers with `user=portcullis_worker`
    /// appended; `controlPlaneArguments` are added to the control plane's.
    static func with<T>(
        conninfo: String, database: Database, controlPlaneArguments: [String] = [], _ body: (GatewayHarness) async throws -> T
    ) async throws -> T {
        let keys = newSecretKeys()
        let controlPlane = try await ControlPlaneFixture.start(conninfo: conninfo, arguments: [
            "--secret-keys", keys, "--allow-upstream-cidr", "127.0.0.0/8", "--allow-plain-http-upstreams",
        ] + controlPlaneArguments)
        do {
            let harness = GatewayHarness(
                conninfo: conninfo, database: database, controlPlane: controlPlane, secretKeys: keys,
                apiKey: try await controlPlane.signUp())
            let result = try await body(harness)
            try await controlPlane.kill()
            return result
        } catch {
            try? await controlPlane.kill()
            throw error
        }
    }

    // MARK: admin API

    func admin(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil) async throws -> (status: Int, body: JSONValue) {
        try await controlPlane.call(method, path, body, apiKey: apiKey)
    }

    func adminCreate(_ path: String, _ body: JSONValue) async throws -> JSONValue {
        let (status, answer) = try await admin(.POST, path, body)
        guard status == 201 || status == 200 else { throw FixtureError("POST \(path) answered \(status): \(answer.serialized())") }
        return answer
    }

    func registerServer(
        url: String, auth: JSONValue = ["type": "none"], timeouts: JSONValue? = nil, name: String = "upstream-\(UUID().uuidString.prefix(6))"
    ) async throws -> UUID {
        var body: JSONObject = JSONObject([("name", .string(name)), ("url", .string(url)), ("auth", auth)])
        if let timeouts { body["timeouts"] = timeouts }
        let answer = try await adminCreate("/v1/servers", .object(body))
        return try Self.id(answer)
    }

    func createPolicy(_ document: JSONValue, name: String = "policy-\(UUID().uuidString.prefix(6))") async throws -> UUID {
        try Self.id(try await adminCreate("/v1/policies", ["name": .string(name), "document": document]))
    }

    func updatePolicy(_ id: UUID, _ document: JSONValue) async throws {
        let (status, answer) = try await admin(.PUT, "/v1/policies/\(id.uuidString.lowercased())", ["document": document])
        guard status == 200 else { throw FixtureError("PUT policy answered \(status): \(answer.serialized())") }
    }

    struct Grant: Sendable {
        let id: UUID
        let token: String
        let serverID: UUID
    }

    func createGrant(serverID: UUID, policyID: UUID?, label: String = "agent-\(UUID().uuidString.prefix(6))") async throws -> Grant {
        let identity = try Self.id(try await adminCreate("/v1/identities", ["label": .string(label)]))
        var body: JSONValue = ["identity_id": .string(identity.uuidString.lowercased()), "server_id": .string(serverID.uuidString.lowercased())]
        if let policyID, case .object(var object) = body {
            object["policy_id"] = .string(policyID.uuidString.lowercased())
            body = .object(object)
        }
        let answer = try await adminCreate("/v1/grants", body)
        guard let token = answer["token"]?.stringValue else { throw FixtureError("grant without token: \(answer.serialized())") }
        return Grant(id: try Self.id(answer), token: token, serverID: serverID)
    }

    /// An upstream registered with a policy and a grant: the usual start of a test.
    func grant(on upstream: FakeMCPUpstream, policy: JSONValue?) async throws -> Grant {
        let server = try await registerServer(url: upstream.url)
        var policyID: UUID?
        if let policy { policyID = try await createPolicy(policy) }
        return try await createGrant(serverID: server, policyID: policyID)
    }

    /// The id of the account's one pending approval, once it exists.
    func pendingApproval() async throws -> String {
        for _ in 0..<200 {
            let (_, list) = try await admin(.GET, "/v1/approvals?status=pending")
            if let id = list["items"]?.arrayValue?.first?["id"]?.stringValue { return id }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw FixtureError("no pending approval appeared")
    }

    static func id(_ answer: JSONValue) throws -> UUID {
        guard let id = answer["id"]?.stringValue.flatMap(UUID.init(uuidString:)) else { throw FixtureError("no id in \(answer.serialized())") }
        return id
    }

    // MARK: workers

    /// Workers connect as their own least-privileged role (issue 10 item 19); the private test
    /// cluster trusts local connections, so naming the role is enough.
    var workerConninfo: String { conninfo + " user=portcullis_worker" }

    /// Workers run the SSRF guard on every upstream call (issue 10 item 9), so they allow the
    /// fake upstreams' loopback as the control plane does, unless `loopbackUpstreams` is false.
    func startWorker(
        id: String = "worker-\(UUID().uuidString.prefix(6))", spool: String? = nil, loopbackUpstreams: Bool = true, arguments: [String] = []
    ) async throws -> GatewayWorker {
        let spoolFolder = spool ?? Self.temporaryFolder("spool")
        let upstreamAllowance = loopbackUpstreams ? ["--allow-upstream-cidr", "127.0.0.0/8"] : []
        let server = try await RunningServer.start("gateway", [
            "--control-plane-url", controlPlane.server.baseURL, "--worker-token", controlPlane.workerToken,
            "--database-url", workerConninfo, "--secret-keys", secretKeys, "--audit-spool-dir", spoolFolder, "--worker-id", id,
            "--approval-keep-alive", "1", "--allow-plain-http-upstreams",
        ] + upstreamAllowance + arguments)
        return GatewayWorker(server: server, id: id, spoolFolder: spoolFolder)
    }
}

/// One `gateway` process and an MCP client for it.
struct GatewayWorker: Sendable {
    let server: RunningServer
    let id: String
    let spoolFolder: String

    struct Answer: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]

        var json: JSONValue? { try? JSONParser().parse(body) }
        var text: String { String(decoding: body, as: UTF8.self) }
        var sessionID: String? { headers.first(name: "mcp-session-id") }

        /// The JSON-RPC messages of an SSE answer, or the JSON answer itself.
        var messages: [JSONValue] {
            if headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true {
                var parser = ServerSentEventParser()
                let events = (try? parser.feed(body + Array("\n\n".utf8))) ?? []
                return events.compactMap { try? JSONParser().parse($0.data) }
            }
            return json.map { $0.arrayValue ?? [$0] } ?? []
        }

        /// The `result` (or `error`) of the response with this id.
        func response(id: Int) -> JSONValue? {
            messages.first { $0["id"] == .number(JSONNumber(id)) }
        }
    }

    /// POST of a JSON-RPC message to `/mcp/{serverId}` with the grant's bearer token.
    func post(
        _ message: JSONValue, grant: GatewayHarness.Grant, session: String? = nil, accept: String = "application/json, text/event-stream",
        headers extra: [(String, String)] = [], timeout: Duration = .seconds(30)
    ) async throws -> Answer {
        try await send(.POST, path: "/mcp/\(grant.serverID.uuidString.lowercased())", body: message.serializedBytes(),
                       headers: [("Authorization", "Bearer \(grant.token)"), ("Accept", accept), ("Content-Type", "application/json")]
                           + (session.map { [("Mcp-Session-Id", $0)] } ?? []) + extra,
                       timeout: timeout)
    }

    func send(_ method: HTTPMethod, path: String, body: [UInt8]?, headers: [(String, String)], timeout: Duration = .seconds(30)) async throws -> Answer {
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
    }

    /// Waits until this worker's snapshot holds the grant (and the latest change made before the call).
    func waitForGrant(_ grant: GatewayHarness.Grant, within timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let answer = try await post(["jsonrpc": "2.0", "id": 0, "method": "ping"], grant: grant)
            if answer.status != 401 && answer.status != 503 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("worker \(id) never learned of grant \(grant.id)")
    }

    func stop() async throws {
        server.process.signal(SIGTERM)
        _ = try await server.process.waitForExit(timeout: .seconds(20))
        server.process.removeOutput()
    }

    func kill() async throws {
        server.process.signal(SIGKILL)
        _ = try await server.process.waitForExit(timeout: .seconds(10))
    }
}

/// A tools/call request.
func toolCall(_ id: Int, _ tool: String, _ arguments: JSONValue = [:]) -> JSONValue {
    ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": "tools/call", "params": ["name": .string(tool), "arguments": arguments]]
}
