import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
import Testing

@testable import Gateway

/// Issue 10 item 9 (SSRF at call time) and item 15 (bounded upstream HTTP clients), on the
/// worker's `UpstreamClient` against a real fake upstream on loopback. Names resolve through a
/// table, so `mcp.pinned.test` reaching the fake upstream proves the connection went to the
/// address the guard checked: the system resolver does not know the name.
@Suite(.timeLimit(.minutes(1)))
struct AdversarialUpstreamConnectionTests {
    static let account = SnapshotAccount(id: UUID(), slug: "acme", approvalWebhookURL: nil)
    static let loopbackOnly = UpstreamAddressPolicy(allowsPlainHTTP: true, allowedNetworks: [IPNetwork("127.0.0.0/8")!])

    static func server(_ url: String, connectMs: Int = 2_000, firstByteMs: Int = 5_000) -> SnapshotServer {
        SnapshotServer(
            id: UUID(), accountID: account.id, name: "upstream", url: url, authType: "none", sealedCredentials: nil,
            credentialsKeyVersion: nil, connectTimeoutMs: connectMs, firstByteTimeoutMs: firstByteMs, idleTimeoutMs: 5_000)
    }

    static let toolsList = Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.utf8)

    static func headers() -> HTTPHeaders {
        HTTPHeaders([("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")])
    }

    /// Runs the client's service while `body` runs, then cancels it (which closes every client).
    static func withClient<T: Sendable>(
        _ policy: UpstreamAddressPolicy, resolving table: [String: [IPAddress]] = [:], clientLimit: Int = 8,
        _ body: (UpstreamClient) async throws -> T
    ) async throws -> T {
        let client = UpstreamClient(
            addressGuard: UpstreamAddressGuard(policy: policy, resolver: TableHostResolver(table: table)), clientLimit: clientLimit,
            logger: Logger(label: "upstream-test"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    static func failure(of send: () async throws(UpstreamFailure) -> UpstreamClient.Answer) async -> UpstreamFailure? {
        do {
            _ = try await send()
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: ["127.0.0.1", "10.0.0.7", "169.254.169.254", "::1", "::ffff:127.0.0.1"])
    func rebindingToAnInternalAddressIsRefusedAtCallTime(address: String) async throws {
        try await FakeMCPUpstream.withRunning { upstream in
            // Registration saw a public address; at call time the name answers with an internal one.
            let server = Self.server("http://mcp.rebound.test:\(upstream.port)/mcp")
            let failure = try await Self.withClient(UpstreamAddressPolicy(allowsPlainHTTP: true), resolving: ["mcp.rebound.test": [IPAddress(address)!]]) { client in
                await Self.failure { () async throws(UpstreamFailure) in
                    try await client.send(method: .POST, to: server, account: Self.account, headers: Self.headers(), body: Self.toolsList)
                }
            }
            let reason = try #require(failure?.reason)
            #expect(reason.hasPrefix("refused"))
            #expect(!reason.contains(address) && !reason.contains("loopback") && !reason.contains("private"))
            #expect(upstream.received.isEmpty)
        }
    }

    @Test func callsGoToTheCheckedAddressWhileHostStaysTheRegisteredName() async throws {
        try await FakeMCPUpstream.withRunning { upstream in
            let server = Self.server("http://mcp.pinned.test:\(upstream.port)/mcp")
            let status = try await Self.withClient(Self.loopbackOnly, resolving: ["mcp.pinned.test": [IPAddress("127.0.0.1")!]]) { client in
                let answer = try await client.send(method: .POST, to: server, account: Self.account, headers: Self.headers(), body: Self.toolsList)
                _ = try await answer.body.collect(upTo: 1 << 20)
                return answer.status
            }
            #expect(status == 200)
            #expect(upstream.received.first?.authority == "mcp.pinned.test:\(upstream.port)")
        }
    }

    @Test func accountAllowanceAppliesToThatAccountOnly() async throws {
        try await FakeMCPUpstream.withRunning { upstream in
            let server = Self.server(upstream.url)
            var allowed = Self.account
            allowed.allowedUpstreamCIDRs = ["127.0.0.0/8"]
            try await Self.withClient(UpstreamAddressPolicy(allowsPlainHTTP: true)) { client in
                let answer = try await client.send(method: .POST, to: server, account: allowed, headers: Self.headers(), body: Self.toolsList)
                #expect(answer.status == 200)
                let other = await Self.failure { () async throws(UpstreamFailure) in
                    try await client.send(method: .POST, to: server, account: Self.account, headers: Self.headers(), body: Self.toolsList)
                }
                #expect(other?.reason.hasPrefix("refused") == true)
            }
        }
    }

    @Test func failuresNameAFixedReasonWithoutTheAddressOrTheRawError() async throws {
        let closedPort = try freeLoopbackPort()
        try await FakeMCPUpstream.withRunning { upstream in
            try await Self.withClient(Self.loopbackOnly) { client in
                let unreachable = await Self.failure { () async throws(UpstreamFailure) in
                    try await client.send(
                        method: .POST, to: Self.server("http://127.0.0.1:\(closedPort)/mcp"), account: Self.account, headers: Self.headers(),
                        body: Self.toolsList)
                }
                // Slower than the server's first-byte timeout, by far.
                let slow = Array(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"slow","arguments":{"ms":5000}}}"#.utf8)
                let timeout = await Self.failure { () async throws(UpstreamFailure) in
                    try await client.send(
                        method: .POST, to: Self.server(upstream.url, firstByteMs: 200), account: Self.account, headers: Self.headers(), body: slow)
                }
                let tls = await Self.failure { () async throws(UpstreamFailure) in
                    try await client.send(
                        method: .POST, to: Self.server("https://127.0.0.1:\(upstream.port)/mcp"), account: Self.account, headers: Self.headers(),
                        body: Self.toolsList)
                }
                for failure in [unreachable, timeout, tls] {
                    let reason = try #require(failure?.reason)
                    #expect(["refused", "timeout", "TLS", "unreachable"].contains { reason.hasPrefix($0) }, "\(reason)")
                    #expect(!reason.contains("127.0.0.1") && !reason.contains("\(closedPort)") && !reason.contains("Error"), "\(reason)")
                }
                #expect(unreachable?.reason.hasPrefix("unreachable") == true)
                #expect(timeout?.reason.hasPrefix("timeout") == true)
                #expect(tls?.reason.hasPrefix("TLS") == true)
            }
        }
    }

    @Test func upstreamClientsAreBoundedAndAnEvictedClientFinishesItsStream() async throws {
        try await FakeMCPUpstream.withRunning(.init(mode: .sse)) { upstream in
            try await Self.withClient(Self.loopbackOnly, clientLimit: 2) { client in
                let bytes = 4 << 20
                let endless = Array(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"endless_event","arguments":{"bytes":\#(bytes)}}}"#.utf8)
                var streaming: UpstreamClient.Answer? = try await client.send(
                    method: .POST, to: Self.server(upstream.url, connectMs: 2_000), account: Self.account, headers: Self.headers(), body: endless)
                // Two more timeout pairs: the first client, least recently used, is evicted while its answer streams.
                for connectMs in [2_001, 2_002, 2_003] {
                    let answer = try await client.send(
                        method: .POST, to: Self.server(upstream.url, connectMs: connectMs), account: Self.account, headers: Self.headers(),
                        body: Self.toolsList)
                    _ = try await answer.body.collect(upTo: 1 << 20)
                }
                #expect(client.clients.openCount == 3)
                var received = 0
                for try await chunk in try #require(streaming).body {
                    received += chunk.readableBytes
                    if received >= bytes { break }
                }
                #expect(received >= bytes)
                streaming = nil
                #expect(client.clients.openCount == 2)
            }
        }
    }
}
