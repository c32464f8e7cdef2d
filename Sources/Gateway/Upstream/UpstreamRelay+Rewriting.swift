import JSON
import Shared

extension UpstreamRelay {
    /// One upstream message (a JSON answer, or the data of an SSE event) as it goes on to the agent.
    struct RewrittenMessage: Sendable {
        /// What the agent gets: the upstream's own bytes when the rewrite changed nothing and no
        /// gateway answer was merged in.
        var bytes: [UInt8]
        /// The response answering the plan's request (with `capturesAnswer`, when at most `answerCaptureBytes`).
        var answer: JSONValue?
    }

    /// Parses, rewrites and merges one message with the plan's gateway answers. One larger than
    /// the pool's inline size is handled on the `AnswerRewritePool` in its account's turn, so a
    /// multi-MiB answer does not hold a thread every account's calls need (issue 10 item 26).
    func rewrittenMessage(_ bytes: [UInt8], plan: Plan) async throws -> RewrittenMessage {
        try await rewritePool.run(size: bytes.count, for: plan.account) { try Self.rewrittenMessage(bytes, plan: plan) }
    }

    /// Issue 10 item 7: every message is parsed with the strict parser (what it refuses is not
    /// passed on) and rewritten, whatever request it claims to answer. Re-serializing happens only
    /// when something changed: parsing proved the bytes are the JSON the rewrite looked at.
    static func rewrittenMessage(_ bytes: [UInt8], plan: Plan) throws(JSONParseError) -> RewrittenMessage {
        let message = try JSONParser().parse(bytes)
        let rewritten = plan.rewrite.flatMap { rewrite -> JSONValue? in
            guard let elements = message.arrayValue else { return rewrite(message) }
            let changed = elements.map(rewrite)
            guard changed.contains(where: { $0 != nil }) else { return nil }
            return .array(zip(elements, changed).map { $1 ?? $0 })
        }
        let value = rewritten ?? message
        let answer = bytes.count <= answerCaptureBytes ? response(in: value, answering: plan) : nil
        if rewritten == nil, plan.gatewayAnswers.isEmpty { return RewrittenMessage(bytes: bytes, answer: answer) }
        let merged: JSONValue = plan.gatewayAnswers.isEmpty ? value : .array(plan.gatewayAnswers + (value.arrayValue ?? [value]))
        return RewrittenMessage(bytes: merged.serializedBytes(), answer: answer)
    }
}
