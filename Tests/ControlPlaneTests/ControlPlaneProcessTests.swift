import Foundation
import Shared
import TestSupport
import Testing

/// The `controlplane` binary as an operator runs it.
@Suite(.timeLimit(.minutes(2)))
struct ControlPlaneProcessTests {
    @Test func helpDocumentsEveryOptionWithItsEnvironmentVariable() throws {
        let expected = [
            ("--host", "PORTCULLIS_HOST"), ("--port", "PORTCULLIS_PORT"), ("--database-url", "PORTCULLIS_DATABASE_URL"), ("--database-listen-url", "PORTCULLIS_DATABASE_LISTEN_URL"),
            ("--secret-keys", "PORTCULLIS_SECRET_KEYS"), ("--worker-tokens", "PORTCULLIS_WORKER_TOKENS"),
            ("--public-gateway-url", "PORTCULLIS_PUBLIC_GATEWAY_URL"), ("--allow-upstream-cidr", "PORTCULLIS_ALLOW_UPSTREAM_CIDRS"),
            ("--signup", "PORTCULLIS_SIGNUP"), ("--rediscovery-interval", "PORTCULLIS_REDISCOVERY_INTERVAL"),
            ("--allow-plain-http-upstreams", "PORTCULLIS_ALLOW_PLAIN_HTTP_UPSTREAMS"),
            ("--password-hash-iterations", "PORTCULLIS_PASSWORD_HASH_ITERATIONS"),
            ("--database-pool-size", "PORTCULLIS_DATABASE_POOL_SIZE"), ("--log-level", "PORTCULLIS_LOG_LEVEL"), ("--log-format", "PORTCULLIS_LOG_FORMAT"),
            ("--otel-endpoint", "PORTCULLIS_OTEL_ENDPOINT"), ("--otel-service-name", "PORTCULLIS_OTEL_SERVICE_NAME"),
            ("--otel-sampling-ratio", "PORTCULLIS_OTEL_SAMPLING_RATIO"), ("--audit-retention-months", "PORTCULLIS_AUDIT_RETENTION_MONTHS"),
        ]
        let help = try ChildProcess.run(["\(builtProductsFolder())/controlplane", "serve", "--help"])
        for (flag, variable) in expected {
            #expect(help.contains(flag), "help lacks \(flag)")
            #expect(help.contains(variable), "help lacks \(variable)")
        }
        let top = try ChildProcess.run(["\(builtProductsFolder())/controlplane", "--help"])
        #expect(top.contains("serve") && top.contains("migrate"))
    }

    @Test func servesHealthReadinessAndMetricsThenExitsCleanlyOnSIGTERM() async throws {
        try await withTestDatabase { _, conninfo in
            let server = try await RunningServer.start("controlplane", ["--database-url", conninfo, "--log-format", "json"])
            defer { server.process.removeOutput() }
            #expect(try await server.get("/readyz").status == 200)
            #expect(try await server.get("/metrics").body.contains("hb_requests"))
            server.process.signal(SIGTERM)
            let status = try await server.process.waitForExit(timeout: .seconds(15))
            #expect(status == .exited(0), "output: \(server.process.output)")
            // Logs are one JSON object per line.
            let lines = server.process.output.split(separator: "\n")
            #expect(!lines.isEmpty)
            for line in lines {
                #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "not JSON: \(line)")
            }
        }
    }

    @Test func newTokenPrintsAWorkerTokenThatServeAcceptsAndServeRefusesGarbage() async throws {
        let token = try ChildProcess.run(["\(builtProductsFolder())/controlplane", "new-token", "worker"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(SecretToken.parse(token, as: .worker) != nil)
        let refused = #expect(throws: ChildProcessError.self) {
            try ChildProcess.run(["\(builtProductsFolder())/controlplane", "serve", "--worker-tokens", "pcs_wk_forged", "--database-url", "host=/nonexistent"])
        }
        #expect(refused?.description.contains("not a worker token") == true)
    }

    @Test func migrateAppliesTheSchemaAndExits() async throws {
        try await withTestDatabase { db, conninfo in
            let output = try ChildProcess.run(["\(builtProductsFolder())/controlplane", "migrate", "--database-url", conninfo])
            #expect(output.contains("schema is current"))
        }
    }

    @Test func resealAndSigningKeyRotationRunOnceWithTheSecretKeysAndRefuseWithoutThem() async throws {
        try await withTestDatabase { _, conninfo in
            let controlplane = "\(builtProductsFolder())/controlplane"
            _ = try ChildProcess.run([controlplane, "migrate", "--database-url", conninfo])
            for command in ["reseal", "oauth-rotate-key"] {
                let refused = #expect(throws: ChildProcessError.self) { try ChildProcess.run([controlplane, command, "--database-url", conninfo]) }
                #expect(refused?.description.contains("--secret-keys (or PORTCULLIS_SECRET_KEYS) is required") == true, "\(command)")
            }
            let rotated = try ChildProcess.run([controlplane, "oauth-rotate-key", "--database-url", conninfo, "--secret-keys", testSecretKeys])
            #expect(rotated.contains("new OAuth signing key"))
            let resealed = try ChildProcess.run([controlplane, "reseal", "--database-url", conninfo, "--secret-keys", testSecretKeys])
            #expect(resealed.contains("secrets resealed under the active key"))
        }
    }

    @Test func unreachableDatabaseIsAClearStartUpError() async throws {
        let child = try ChildProcess.spawn([
            "\(builtProductsFolder())/controlplane", "serve", "--port", "\(try freeLoopbackPort())",
            "--database-url", "host=/nonexistent port=1",
        ])
        defer { child.removeOutput() }
        let status = try await child.waitForExit(timeout: .seconds(20))
        #expect(status != nil && status != .exited(0))
        #expect(child.output.contains("connectionFailed"))
    }
}
