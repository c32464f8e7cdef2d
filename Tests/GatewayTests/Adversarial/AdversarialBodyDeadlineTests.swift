import Foundation
import Shared
import TestSupport
import Testing

/// design.md §5.9 and issue 10 item 12 after issue 11 item 4 (the body-read deadline as an event-loop
/// task): a body trickled a byte at a time is still cut, answered 408 and audited, and the
/// connection ends instead of reading on.
@Suite(.timeLimit(.minutes(3)))
struct AdversarialBodyDeadlineTests {
    @Test func aSlowlorisBodyIsCutAnsweredAndAudited() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start()
            defer { Task { await upstream.stop() } }
            let grant = try await harness.grant(on: upstream, policy: ["version": "1", "default": "allow", "pin": "off"])
            let worker = try await harness.startWorker(arguments: ["--body-read-timeout", "1"])
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            let head = "POST /mcp/\(grant.serverID.uuidString.lowercased()) HTTP/1.1\r\nHost: gateway\r\n"
                + "Authorization: Bearer \(grant.token)\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            let answer = try await slowlorisRequest(port: worker.server.port, head: head, bodyStart: #"{"jsonrpc":"2.0","#)
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
            #expect(answer.lowercased().contains("content-length:"))
            #expect(answer.contains("did not arrive in time"))
            #expect(upstream.callCount(tool: "echo") == 0)

            let audited = try await eventually(within: .seconds(20)) {
                let rows = (try? await harness.database.query(
                    "SELECT message FROM audit_events WHERE grant_id = \(grant.id) AND code = 'invalid_message'")) ?? []
                return rows.contains { (try? $0.decode("message", as: String?.self))??.contains("did not arrive in time") == true }
            }
            #expect(audited)
        }
    }
}
