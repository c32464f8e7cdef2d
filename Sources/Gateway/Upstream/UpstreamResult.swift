import Shared

/// How a forwarded message fared upstream, for its audit row and its counters.
struct UpstreamResult: Sendable {
    var status: Int?
    var latencyNanoseconds: Int64?
    var bytesOut: Int64 = 0
    var failure: String?
    /// The JSON-RPC response the upstream gave, when captured.
    var answer: JSONValue?
    var agentWentAway = false

    init(failure: String) {
        self.failure = failure
    }

    init(answer: UpstreamClient.Answer, outcome: UpstreamRelay.Outcome) {
        status = answer.status
        latencyNanoseconds = answer.latencyNanoseconds
        bytesOut = outcome.bytesOut
        failure = outcome.failure
        self.answer = outcome.answer
        agentWentAway = outcome.agentWentAway
    }

    /// A transport failure, an upstream 5xx or a JSON-RPC error: the call's counters are given
    /// back (policy language, "Limits"). A result with `isError: true` still counts.
    var failedUpstream: Bool {
        guard let status else { return true }
        return status >= 500 || answer?["error"] != nil
    }
}
