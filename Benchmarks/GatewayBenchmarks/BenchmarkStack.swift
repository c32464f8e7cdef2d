import Foundation
import NIOConcurrencyHelpers
import Shared
import TestSupport

/// Everything the end-to-end benchmarks run against, all on loopback: a PostgreSQL database (the
/// private test cluster, or `PORTCULLIS_TEST_DATABASE_URL`), one fast upstream MCP server per
/// account in this process, and the release `controlplane` and `gateway` binaries as child
/// processes, with every account set up through the admin API (its own sign-up, server, policy,
/// identity and grant) before the gateway starts.
struct BenchmarkStack {
    let tenants: [BenchmarkTenant]
    let controlPlane: RunningServer
    let gateway: RunningServer
    let spoolFolder: String
    /// The benchmark's database, as the control plane and the gateway connect to it.
    let conninfo: String

    func gatewayURL(for tenant: BenchmarkTenant) -> String { "\(gateway.baseURL)/mcp/\(tenant.serverID)" }

    /// The children started so far, for `stopAll` (also from the SIGINT handler).
    static let children = NIOLockedValueBox<[ChildProcess]>([])
    /// Folders made for the run (spool, nginx prefix), removed also when a signal ends the run.
    static let temporaryFolders = NIOLockedValueBox<[String]>([])

    static func start(spoolParent: String, tenants plans: [TenantPlan] = [.echo]) async throws -> BenchmarkStack {
        let binFolder = builtProductsFolder()
        for binary in ["controlplane", "gateway"] where !FileManager.default.isExecutableFile(atPath: "\(binFolder)/\(binary)") {
            throw BenchmarkError("\(binFolder)/\(binary) is missing: build the release binaries first (swift build -c release --scratch-path .build-bench)")
        }
        let conninfo = try await TestPostgresCluster.shared.makeDatabase(for: "gatewaybench")

        // SystemRandomNumberGenerator reads getrandom(2) on Linux.
        let secretKeys = "v1:" + Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString()
        let workerToken = try ChildProcess.run(["\(binFolder)/controlplane", "new-token", "worker"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let common = [
            "--database-url", conninfo, "--secret-keys", secretKeys,
            "--allow-upstream-cidr", "127.0.0.0/8", "--allow-plain-http-upstreams", "--log-level", "warning",
        ]
        let controlPlane = try await startChild("controlplane", common + [
            "--worker-tokens", workerToken, "--password-hash-iterations", "1000",
        ])

        let admin = AdminAPI(baseURL: controlPlane.baseURL)
        var tenants: [BenchmarkTenant] = []
        for plan in plans {
            let upstream = try await FakeMCPUpstream.start(plan.upstream)
            tenants.append(try await BenchmarkTenant(plan, upstream: upstream, admin: admin))
        }

        let spoolFolder = URL(fileURLWithPath: spoolParent).appendingPathComponent("portcullis-bench-spool-\(UUID().uuidString)").path
        temporaryFolders.withLockedValue { $0.append(spoolFolder) }
        let gateway = try await startChild("gateway", common + [
            "--control-plane-url", controlPlane.baseURL, "--worker-token", workerToken, "--audit-spool-dir", spoolFolder,
        ])
        return BenchmarkStack(tenants: tenants, controlPlane: controlPlane, gateway: gateway, spoolFolder: spoolFolder, conninfo: conninfo)
    }

    /// Waits until the gateway is ready and its snapshot holds the grant (the call answers
    /// correctly); otherwise reports exactly what it answered.
    func waitUntilServing(_ target: CallTarget, generator: LoadGenerator) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var lastFailure: CallFailure?
        while ContinuousClock.now < deadline {
            if let (status, _) = try? await gateway.get("/readyz"), status == 200 {
                lastFailure = await generator.call(target)
                if lastFailure == nil { return }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let readiness = (try? await gateway.get("/readyz")).map { "\($0.status) \($0.body)" } ?? "no answer"
        throw BenchmarkError("""
            the gateway did not answer the call correctly within 30 s.
            POST \(target.url) (Authorization: Bearer <grant token>)
            /readyz: \(readiness)
            last answer: \(lastFailure.map(String.init(describing:)) ?? "none (not ready)")
            gateway output:
            \(gateway.process.output.suffix(4000))
            """)
    }

    /// Starts `binary serve --host 127.0.0.1 --port <free> arguments...` from the folder this
    /// benchmark was built into, and waits for `/healthz`.
    private static func startChild(_ binary: String, _ arguments: [String]) async throws -> RunningServer {
        let server = try await RunningServer.start(binary, arguments)
        children.withLockedValue { $0.append(server.process) }
        return server
    }

    /// Stops the children (SIGTERM, then SIGKILL after 5 s) and the upstream; removes the spool.
    func stop() async {
        await Self.stopChildren()
        for tenant in tenants { await tenant.upstream.stop() }
        try? FileManager.default.removeItem(atPath: spoolFolder)
    }

    static func stopChildren() async {
        let running = children.withLockedValue { children in
            defer { children = [] }
            return children
        }
        for child in running.reversed() {
            child.signal(SIGTERM)
            if (try? await child.waitForExit(timeout: .seconds(5))) == nil {
                child.signal(SIGKILL)
                _ = try? await child.waitForExit(timeout: .seconds(5))
            }
            child.removeOutput()
        }
    }

    /// Ctrl-C or a timeout's SIGTERM must not leave the binaries running; `exit` also runs the
    /// private PostgreSQL cluster's atexit stop. Keep the sources alive as long as the run.
    /// (Outside top-level code, so the handler is not main-actor isolated: it runs on a dispatch queue.)
    static func killChildrenOnSignals() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            // Only Darwin needs the default action ignored for a dispatch signal source; on Linux an
            // ignored signal is discarded before dispatch sees it.
            #if canImport(Darwin)
            signal(number, SIG_IGN)
            #endif
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { @Sendable in
                killChildren()
                removeTemporaryFolders()
                exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    static func removeTemporaryFolders() {
        for folder in temporaryFolders.withLockedValue({ $0 }) { try? FileManager.default.removeItem(atPath: folder) }
    }

    /// For a signal handler, without async: SIGTERM (nginx's master then stops its workers), up to
    /// 2 s for everyone to go, then SIGKILL.
    static func killChildren() {
        let running = children.withLockedValue { $0 }
        for child in running { child.signal(SIGTERM) }
        var waiting = Set(running.map(\.pid))
        let deadline = ContinuousClock.now + .seconds(2)
        while !waiting.isEmpty, ContinuousClock.now < deadline {
            var status: Int32 = 0
            waiting = waiting.filter { waitpid($0, &status, WNOHANG) == 0 }
            usleep(20_000)
        }
        for pid in waiting { kill(pid, SIGKILL) }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
