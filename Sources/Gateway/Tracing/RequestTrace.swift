import NIOHTTP1
import Tracing

/// The span of the MCP request being handled (issue 13 item 6). Task-local, so the auditor (which
/// names the decision) and the upstream client (which continues the trace upstream) reach it
/// without a parameter through every layer in between. Nil when tracing is off: each use is then
/// a task-local read and a nil check, with no allocation.
struct RequestTrace: Sendable {
    let tracer: any Tracer
    let span: any Span

    @TaskLocal static var current: RequestTrace?

    /// A child span for one upstream exchange, whose context replaces any `traceparent` the
    /// agent sent in `headers`, so the upstream continues our trace.
    func upstreamSpan(method: HTTPMethod, headers: inout HTTPHeaders) -> any Span {
        let child = tracer.startSpan("upstream \(method.rawValue)", context: span.context, ofKind: .client)
        child.attributes["http.request.method"] = method.rawValue
        tracer.inject(child.context, into: &headers, using: HTTPHeadersInjector())
        return child
    }
}

private struct HTTPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: key, value: value)
    }
}
