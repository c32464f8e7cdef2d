import Foundation
import Shared
import Tracing

extension Span {
    /// Names the request span after what the audit recorded (issue 13 item 6): the events are built
    /// in one place with every field a span needs, so the span cannot disagree with the audit.
    /// Only identifiers and the decision: never a token, a session id or an argument value.
    func describe(_ events: [AuditEvent]) {
        guard let first = events.first else { return }
        updateAttributes { attributes in
            attributes["portcullis.account.id"] = first.accountID.uuidString.lowercased()
            attributes["portcullis.server.id"] = first.serverID?.uuidString.lowercased()
            attributes["portcullis.policy.version"] = first.policyVersion
            if events.count > 1 {
                // A JSON-RPC batch: one span, one record for all its elements.
                attributes["mcp.batch.size"] = events.count
                return
            }
            attributes["mcp.method.name"] = first.method
            attributes["gen_ai.tool.name"] = first.tool
            attributes["portcullis.decision"] = first.decision
            attributes["portcullis.decision.code"] = first.code
        }
        operationName = events.count > 1 ? "mcp batch" : first.method.map { "mcp \($0)" } ?? "mcp"
    }
}
