import Foundation
import TestSupport
import Testing

/// The `gateway` binary as an operator runs it.
@Suite(.timeLimit(.minutes(2)))
struct GatewayProcessTests {
    @Test func helpDocumentsEveryOptionWithItsEnvironmentVariable() throws {
        let expected = [
            ("--host", "PORTCULLIS_HOST"), ("--port", "PORTCULLIS_PORT"), ("--database-url", "PORTCULLIS_DATABASE_URL"), ("--database-listen-url", "PORTCULLIS_DATABASE_LISTEN_URL"),
            ("--secret-keys", "PORTCULLIS_SECRET_KEYS"), ("--worker-token", "PORTCULLIS_WORKER_TOKEN"),
            ("--control-plane-url", "PORTCULLIS_CONTROL_PLANE_URL"), ("--allow-upstream-cidr", "PORTCULLIS_ALLOW_UPSTREAM_CIDRS"),
            ("--counters", "PORTCULLIS_COUNTERS"), ("--audit-spool-dir", "PORTCULLIS_AUDIT_SPOOL_DIR"),
            ("--audit-durability", "PORTCULLIS_AUDIT_DURABILITY"), ("--audit-sync-interval", "PORTCULLIS_AUDIT_SYNC_INTERVAL"),
            ("--worker-id", "PORTCULLIS_WORKER_ID"), ("--snapshot-file", "PORTCULLIS_SNAPSHOT_FILE"), ("--log-level", "PORTCULLIS_LOG_LEVEL"), ("--log-format", "PORTCULLIS_LOG_FORMAT"),
            ("--otel-endpoint", "PORTCULLIS_OTEL_ENDPOINT"), ("--otel-service-name", "PORTCULLIS_OTEL_SERVICE_NAME"),
            ("--otel-sampling-ratio", "PORTCULLIS_OTEL_SAMPLING_RATIO"), ("--shutdown-drain-timeout", "PORTCULLIS_SHUTDOWN_DRAIN_TIMEOUT"),
            ("--public-gateway-url", "PORTCULLIS_PUBLIC_GATEWAY_URL"),
        ]
        let help = try ChildProcess.run(["\(builtProductsFolder())/gateway", "serve", "--help"])
        for (flag, variable) in expected {
            #expect(help.contains(flag), "help lacks \(flag)")
            #expect(help.contains(variable), "help lacks \(variable)")
        }
    }

    @Test func helpShowsThisHostsNameAsTheWorkerIDDefault() throws {
        let help = try ChildProcess.run(["\(builtProductsFolder())/gateway", "serve", "--help"])
        let workerID = help.components(separatedBy: "--worker-id <worker-id>")[1].components(separatedBy: "\n  --")[0]
        let words = workerID.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("(default: \(ProcessInfo.processInfo.hostName))"), "\(words)")
        #expect(!words.contains("process id"))
    }

    @Test func withoutASnapshotTheWorkerIsAliveButNotReadyAndExitsCleanlyOnSIGTERM() async throws {
        let server = try await RunningServer.start("gateway", ["--counters", "memory"] + GatewayHarness.standaloneArguments())
        defer { server.process.removeOutput() }
        #expect(try await server.get("/healthz").status == 200)
        let ready = try await server.get("/readyz")
        #expect(ready.status == 503)
        #expect(ready.body.contains("no policy snapshot"))
        server.process.signal(SIGTERM)
        #expect(try await server.process.waitForExit(timeout: .seconds(15)) == .exited(0))
    }

    @Test func environmentVariablesConfigureTheWorkerAndFlagsOverrideThem() async throws {
        let server = try await RunningServer.start("gateway", ["--counters", "memory"] + GatewayHarness.standaloneArguments(), environment: [
            "PORTCULLIS_PORT": "1",  // overridden by the --port flag RunningServer passes
            "PORTCULLIS_LOG_FORMAT": "json",
        ])
        defer { server.process.removeOutput() }
        server.process.signal(SIGINT)
        #expect(try await server.process.waitForExit(timeout: .seconds(15)) == .exited(0))
        let firstLine = try #require(server.process.output.split(separator: "\n").first)
        #expect((try? JSONSerialization.jsonObject(with: Data(firstLine.utf8))) is [String: Any])
    }

    @Test func postgresCountersWithoutADatabaseIsRefusedAtStartUp() throws {
        let error = #expect(throws: ChildProcessError.self) {
            try ChildProcess.run(["\(builtProductsFolder())/gateway", "serve", "--counters", "postgres", "--port", "\(try freeLoopbackPort())"] + GatewayHarness.standaloneArguments())
        }
        #expect(error?.description.contains("--counters memory") == true)
    }

    /// Issue 14 item 1: resource URLs are built by appending to it, so it must be a plain base URL.
    @Test func aPublicGatewayURLThatIsNotAnHTTPBaseURLIsRefusedAtStartUp() throws {
        for url in ["gateway.example", "ftp://gateway.example", "https://gateway.example/?a=b"] {
            let error = #expect(throws: ChildProcessError.self) {
                try ChildProcess.run(["\(builtProductsFolder())/gateway", "serve", "--counters", "memory", "--port", "\(try freeLoopbackPort())",
                                      "--public-gateway-url", url] + GatewayHarness.standaloneArguments())
            }
            #expect(error?.description.contains("--public-gateway-url") == true, "\(url)")
        }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct BooleanEnvironmentSettingTests {
    /// A flag whose default comes from the environment must still parse when that default is true.
    @Test func plainHTTPUpstreamsCanBeAllowedFromTheEnvironment() async throws {
        let server = try await RunningServer.start("gateway", ["--counters", "memory"] + GatewayHarness.standaloneArguments(), environment: [
            "PORTCULLIS_ALLOW_PLAIN_HTTP_UPSTREAMS": "true",
        ])
        defer { server.process.removeOutput() }
        server.process.signal(SIGTERM)
        #expect(try await server.process.waitForExit(timeout: .seconds(15)) == .exited(0))
    }
}
