import JSON
import Shared

/// How a forwarded message fared upstream, for its audit row and its counters.
struct UpstreamResult: Sendable {
    var status: Int?
    var latencyNanoseconds: Int64?
    var bytesOut: Int64 = 0
    var failure: String?
    /// What the agent was told of a failure before the upstream answered, when it was not the
    /// usual `Upstream MCP server unavailable: <failure>` (an identity without its own credential).
    private var failureToldOtherwise: String?
    /// `UpstreamFailure.isTheCallers`: nothing of the upstream was learnt.
    var failureIsTheCallers = false
    /// The JSON-RPC response the upstream gave, when captured.
    var answer: JSONValue?
    var agentWentAway = false

    init(failure: UpstreamFailure) {
        self.failure = failure.reason
        failureToldOtherwise = failure.rpcError.message
        failureIsTheCallers = failure.isTheCallers
    }

    init(answer: UpstreamClient.Answer, outcome: UpstreamRelay.Outcome) {
        status = answer.status
        latencyNanoseconds = answer.latencyNanoseconds
        bytesOut = outcome.bytesOut
        failure = outcome.failure
        self.answer = outcome.answer
        agentWentAway = outcome.agentWentAway
    }

    /// What the agent was told of the failure, for the audit row's message.
    var failureMessage: String? {
        failure.map { failureToldOtherwise ?? GatewayAnswers.upstreamUnavailableError($0).message }
    }

    /// A transport failure, an upstream 5xx or a JSON-RPC error: the call's counters are given
    /// back (policy language, "Limits"). A result with `isError: true` still counts.
    var failedUpstream: Bool {
        guard let status else { return true }
        return status >= 500 || answer?["error"] != nil
    }
}
