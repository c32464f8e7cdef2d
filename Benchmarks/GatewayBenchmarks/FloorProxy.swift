import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import TestSupport

/// The stack's floor (issue 11, "show what the floor is"): a bare pass-through proxy built from the
/// gateway's own libraries and server configuration, with none of the gateway's work. Hummingbird 2
/// on the connection's event loop with known-length answers in one write (the gateway's
/// `Server/` files, linked into this target rather than copied), one AsyncHTTPClient per event loop
/// configured as `UpstreamHTTPClients.makeClient` does, kept-alive connections. No policy, no
/// audit, no JSON parse, no metrics middleware: the body goes up as bytes and the answer comes back
/// as bytes. What the gateway costs above it is the gateway's; what it costs above nginx is the
/// libraries'.
///
/// Runs as a child process of the benchmark (`GatewayBenchmarks floor-proxy PORT UPSTREAM_URL`),
/// so its CPU time and system calls are counted apart, as the gateway worker's are.
struct FloorProxy {
    let process: ChildProcess
    let port: Int

    var url: String { "http://127.0.0.1:\(port)/mcp" }

    static func start(upstreamURL: String) async throws -> FloorProxy {
        let port = try freeLoopbackPort()
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let process = try ChildProcess.spawn([executable, "floor-proxy", "\(port)", upstreamURL])
        BenchmarkStack.children.withLockedValue { $0.append(process) }
        let proxy = FloorProxy(process: process, port: port)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await process.waitForExit(timeout: .zero) != nil {
                throw BenchmarkError("the floor proxy exited during start-up: \(process.output)")
            }
            // Any answer (the upstream's 405 to a GET) means it listens.
            if (try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"), timeout: .seconds(1))) != nil {
                return proxy
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchmarkError("the floor proxy did not answer in 10 s: \(process.output)")
    }

    /// The child's side: serves until it is signalled.
    static func serve(_ arguments: [String]) async throws {
        guard arguments.count == 2, let port = Int(arguments[0]) else {
            throw BenchmarkError("usage: GatewayBenchmarks floor-proxy PORT UPSTREAM_URL")
        }
        let upstreamURL = arguments[1]
        var logger = Logger(label: "floor-proxy")
        logger.logLevel = .warning
        let group = MultiThreadedEventLoopGroup.singleton
        let clients = LoopClients(group)
        let router = Router()
        router.post("/mcp") { request, _ -> Response in
            var upstream = HTTPClientRequest(url: upstreamURL)
            upstream.method = .POST
            for field in request.headers where field.name == .contentType || field.name == .accept {
                upstream.headers.add(name: field.name.rawName, value: field.value)
            }
            upstream.body = .bytes(try await request.body.collect(upTo: 4 << 20))
            let answer = try await clients.current.execute(upstream, timeout: .seconds(30))
            let body = try await answer.body.collect(upTo: 4 << 20)
            var headers = HTTPFields()
            headers[.contentType] = answer.headers.first(name: "content-type")
            return Response(status: .init(code: Int(answer.status.code)), headers: headers, body: ResponseBody(byteBuffer: body))
        }
        let app = Application(
            router: router,
            server: .http1OnConnectionLoop(idleTimeout: .seconds(60)),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "floor"),
            eventLoopGroupProvider: .shared(group),
            logger: logger)
        try await app.runService()
    }

    /// One client per event loop of the server's group, each with its connections on that loop,
    /// as the gateway's `UpstreamHTTPClients` keeps them.
    private struct LoopClients: Sendable {
        private let clients: [ObjectIdentifier: HTTPClient]
        private let group: any EventLoopGroup

        init(_ group: any EventLoopGroup) {
            self.group = group
            var clients: [ObjectIdentifier: HTTPClient] = [:]
            for loop in group.makeIterator() {
                var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
                configuration.connectionPool.retryConnectionEstablishment = false
                configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
                configuration.connectionPool.idleTimeout = .seconds(60)
                configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
                configuration.decompression = .disabled
                clients[ObjectIdentifier(loop)] = HTTPClient(eventLoopGroup: loop, configuration: configuration)
            }
            self.clients = clients
        }

        /// The calling task's loop's client (`any()` is the current loop when called on one).
        var current: HTTPClient { clients[ObjectIdentifier(group.any())]! }
    }
}
