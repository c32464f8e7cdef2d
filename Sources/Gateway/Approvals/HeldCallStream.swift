import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Shared

/// design.md §5.6 step 3 for a client that reads SSE: the answer starts at once, keep-alive comments
/// (and progress notifications when the call asked for them) flow while the call is held, and
/// what `settled` writes (the upstream's answer or the denial) follows on the same stream.
struct HeldCallStream: Sendable {
    let approvals: ApprovalHold
    let metrics: GatewayMetrics

    /// Writes what the hold came to on the stream.
    typealias Settled = @Sendable (ApprovalHold.Settlement, inout any ResponseBodyWriter) async throws -> Void

    func response(for held: HeldToolCall, sealedSessionID: String?, settled: @escaping Settled) -> Response {
        var headers: HTTPFields = [.contentType: GatewayAnswers.sseContentType, .cacheControl: "no-cache"]
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        if let sealedSessionID { headers[MCPExchange.sessionIDHeader] = sealedSessionID }
        return Response(status: .ok, headers: headers, body: ResponseBody { [approvals, metrics] writer in
            try await metrics.withOpenStream {
                var progress = 0
                let settlement = try await approvals.hold(held.pending, requirement: held.requirement) {
                    try await writer.write(ServerSentEvent.keepAlive)
                    if let token = held.call.progressToken {
                        progress += 1
                        let notification = JSONRPCNotification(method: "notifications/progress", params: [
                            "progressToken": token, "progress": .number(JSONNumber(progress)),
                            "message": .string("Waiting for a human to decide approval \(held.pending.id.uuidString.lowercased())"),
                        ])
                        try await writer.write(ServerSentEvent(message: notification.jsonValue).encoded())
                    }
                }
                try await settled(settlement, &writer)
            }
            try await writer.finish(nil)
        })
    }
}
