import Metrics
import NIOConcurrencyHelpers

/// The gateway's own metrics (issue 5 item 10), created once. Labels stay bounded: the JSON-RPC
/// method is one of a fixed set (anything else counts as `other`), the decision is `allow` or a
/// design.md §5.3 code; never an account, grant, tool or token.
final class GatewayMetrics: Sendable {
    /// Methods that get their own label; a client cannot grow the label set by inventing methods.
    static let knownMethods: Set<String> = [
        "initialize", "notifications/initialized", "ping", "tools/list", "tools/call", "resources/list",
        "resources/read", "resources/templates/list", "prompts/list", "prompts/get", "completion/complete",
        "logging/setLevel", "notifications/cancelled", "notifications/progress", "response", "GET", "DELETE",
    ]

    private struct RequestLabels: Hashable {
        let method: String
        let decision: String
    }

    private let requests = NIOLockedValueBox<[RequestLabels: Counter]>([:])
    private let gatewayLatency = Timer(label: "portcullis_gateway_request_duration_seconds", preferredDisplayUnit: .seconds)
    private let upstreamLatency = Timer(label: "portcullis_upstream_request_duration_seconds", preferredDisplayUnit: .seconds)
    let counterStoreErrors = Counter(label: "portcullis_counter_store_errors_total")
    let spoolBytes = Gauge(label: "portcullis_audit_spool_bytes")
    let spoolRefusals = Counter(label: "portcullis_audit_spool_full_total")
    /// Audit events PostgreSQL refused, kept in `audit_dead_letters` (issue 10 item 2).
    let auditDeadLetters = Counter(label: "portcullis_audit_dead_letters_total")
    private let openStreams = Meter(label: "portcullis_open_sse_streams")

    /// One handled message: `portcullis_gateway_requests_total{method, decision}`.
    func countRequest(method: String, decision: String) {
        let labels = RequestLabels(method: Self.knownMethods.contains(method) ? method : "other", decision: decision)
        let counter = requests.withLockedValue { counters in
            if let counter = counters[labels] { return counter }
            let counter = Counter(
                label: "portcullis_gateway_requests_total", dimensions: [("method", labels.method), ("decision", labels.decision)])
            counters[labels] = counter
            return counter
        }
        counter.increment()
    }

    func recordGatewayLatency(nanoseconds: Int64) { gatewayLatency.recordNanoseconds(nanoseconds) }
    func recordUpstreamLatency(nanoseconds: Int64) { upstreamLatency.recordNanoseconds(nanoseconds) }

    /// Counts an SSE stream toward the client as open for the duration of `body`.
    func withOpenStream<Value>(_ body: () async throws -> Value) async rethrows -> Value {
        openStreams.increment()
        defer { openStreams.decrement() }
        return try await body()
    }
}
