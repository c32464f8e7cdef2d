import Foundation
import JSON
import Shared

/// What the forwarder does to tool lists coming back (design.md §5.2, §5.7; issue 10 item 7).
extension UpstreamForwarder {
    /// Issue 10 item 7: a `tools/list` whose answer failed or was cut leaves the server's live
    /// definitions unknown (under `pin: block` its tools are then not approved); an agent that
    /// hung up, or a caller whose identity has no upstream credential (issue 14 item 5), says
    /// nothing about the upstream.
    func noticingUnreadableLists(
        _ plan: UpstreamRelay.Plan, _ exchange: MCPExchange, then finished: @escaping @Sendable (UpstreamResult) async -> Void
    ) -> @Sendable (UpstreamResult) async -> Void {
        guard plan.listsTools else { return finished }
        let server = exchange.caller.server.id
        return { [liveDefinitions] result in
            if result.failure != nil, !result.agentWentAway, !result.failureIsTheCallers { liveDefinitions.listing(of: server, wasReadable: false) }
            await finished(result)
        }
    }

    /// Every answer coming back is filtered for this grant, whatever request it claims to answer
    /// (issue 10 item 7).
    func relayed(_ plan: UpstreamRelay.Plan, _ exchange: MCPExchange) -> UpstreamRelay.Plan {
        var plan = plan
        plan.rewrite = toolListRewrite(exchange)
        plan.account = exchange.caller.server.accountID
        return plan
    }

    /// `tools/list` answers lose what this grant may not see (design.md §5.2, §5.7). Recognised by their
    /// shape, not by the id of a `tools/list` the agent sent (issue 10 item 7): an upstream may
    /// put a tool list in any response, under an id of another JSON type (`"1"` for `1`) that a
    /// lenient client still matches, or on its GET stream.
    private func toolListRewrite(_ exchange: MCPExchange) -> @Sendable (JSONValue) -> JSONValue? {
        let filter = ToolListFilter(
            snapshot: exchange.snapshot, grant: exchange.caller, liveDefinitions: liveDefinitions, reportDrift: reportDrift)
        return { message in
            guard var object = message.objectValue, let result = object["result"], result["tools"] != nil else { return nil }
            object["result"] = filter.filter(result)
            return .object(object)
        }
    }
}
