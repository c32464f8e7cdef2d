import HTTPTypes
import Hummingbird
import Tracing

/// One server span per MCP request (issue 13 item 6), continuing the agent's `traceparent`. Only
/// the route is named here; `Span.describe` (from the audit event) names the method and decision.
/// Nothing of the request's path goes in: `/g/{token}/mcp` carries a grant token.
struct MCPTracing: Sendable {
    let tracer: any Tracer

    func traced(_ request: Request, _ handle: () async -> Response) async -> Response {
        var context = ServiceContext.topLevel
        tracer.extract(request.headers, into: &context, using: HTTPFieldsExtractor())
        let span = tracer.startSpan("mcp", context: context, ofKind: .server)
        defer { span.end() }
        span.attributes["http.request.method"] = request.method.rawValue
        let response = await RequestTrace.$current.withValue(RequestTrace(tracer: tracer, span: span)) { await handle() }
        span.attributes["http.response.status_code"] = Int(response.status.code)
        return response
    }
}

private struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from fields: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { fields[$0] }
    }
}
