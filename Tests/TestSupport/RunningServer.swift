import AsyncHTTPClient
import Foundation
import NIOCore

/// One of the built binaries (`controlplane`, `gateway`) running as a child process on a
/// loopback port, as an operator would run it.
public struct RunningServer: Sendable {
    public let process: ChildProcess
    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `binary serve --host 127.0.0.1 --port <free> arguments...` and waits until
    /// `/healthz` answers (or the process dies, or 30 s pass).
    public static func start(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> RunningServer {
        let port = try freeLoopbackPort()
        let argv = ["\(builtProductsFolder())/\(binary)", "serve", "--host", "127.0.0.1", "--port", "\(port)"] + arguments
        let server = RunningServer(process: try ChildProcess.spawn(argv, environment: environment), port: port)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await server.process.waitForExit(timeout: .zero) != nil {
                throw ChildProcessError("\(binary) exited during start-up: \(server.process.output)")
            }
            if let (status, _) = try? await server.get("/healthz"), status == 200 { return server }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.process.signal(SIGKILL)
        throw ChildProcessError("\(binary) did not become healthy in 30 s: \(server.process.output)")
    }

    /// GET on the server; returns status and body.
    public func get(_ path: String) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + path), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }
}
