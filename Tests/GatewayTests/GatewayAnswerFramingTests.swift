import Foundation
import JSON
import Shared
import TestSupport
import Testing

/// Issue 11 item 4: answers whose body is known (a relayed JSON answer, a denial, the gateway's
/// own errors) carry `Content-Length` and are not re-chunked.
@Suite(.timeLimit(.minutes(3)))
struct GatewayAnswerFramingTests {
    static func isFramedByLength(_ answer: GatewayWorker.Answer) -> Bool {
        answer.headers.first(name: "content-length") == "\(answer.body.count)" && answer.headers.first(name: "transfer-encoding") == nil
    }

    @Test func knownLengthAnswersCarryContentLengthAndAreNotChunked() async throws {
        try await GatewayHarness.with { harness in
            let upstream = try await FakeMCPUpstream.start(.init(mode: .json))
            defer { Task { await upstream.stop() } }
            let policy: JSONValue = ["version": "1", "default": "deny", "pin": "off", "tools": ["echo": [:]]]
            let grant = try await harness.grant(on: upstream, policy: policy)
            let worker = try await harness.startWorker()
            defer { Task { try? await worker.stop() } }
            try await worker.waitForGrant(grant)

            let relayed = try await worker.post(toolCall(1, "echo", ["text": "hello"]), grant: grant)
            #expect(relayed.response(id: 1)?["result"]?["isError"] == false)
            #expect(Self.isFramedByLength(relayed), "\(relayed.headers)")

            let denied = try await worker.post(toolCall(2, "list_pods"), grant: grant)
            #expect(denied.response(id: 2)?["result"]?["isError"] == true)
            #expect(Self.isFramedByLength(denied), "\(denied.headers)")

            let refused = try await worker.post(toolCall(3, "echo"), grant: GatewayHarness.Grant(id: grant.id, token: "pcs_gt_unknown", serverID: grant.serverID))
            #expect(refused.status == 401)
            #expect(Self.isFramedByLength(refused), "\(refused.headers)")

            let notification = try await worker.post(["jsonrpc": "2.0", "method": "notifications/initialized"], grant: grant)
            #expect(notification.status == 202)
            #expect(Self.isFramedByLength(notification), "\(notification.headers)")
        }
    }
}
