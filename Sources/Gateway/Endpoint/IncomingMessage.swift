import JSON
import Shared

/// A POST body, parsed once with the strict parser and judged as MCP (design.md §5.2, §5.9). Decisions
/// are made on this parsed body, and what is forwarded is exactly what was judged.
enum IncomingMessage: Equatable {
    case single(JSONRPCMessage)
    /// JSON-RPC batches exist only in protocol 2025-03-26; each element is judged on its own, and a
    /// malformed one is answered by the gateway while the others go on.
    case batch([Result<JSONRPCMessage, MessageRejection>])

    /// The protocol that allowed batches; later versions removed them.
    static let batchProtocolVersion = "2025-03-26"
    /// The protocol that introduced the `Mcp-Method` / `Mcp-Name` routing headers.
    static let routingHeadersProtocolVersion = "2026-07-28"

    struct Limits {
        var maxBodyBytes = 4 * 1024 * 1024
        var maxDepth = 64
        /// Issue 10 item 3: each element is judged and audited, so a batch's size is bounded too.
        var maxBatchElements = 100
    }

    /// The routing headers of MCP 2026-07-28, when present.
    struct RoutingHeaders: Equatable {
        var method: String?
        var name: String?
    }

    static func read(
        _ body: [UInt8], protocolVersion: String?, routing: RoutingHeaders = RoutingHeaders(), limits: Limits = Limits()
    ) -> Result<IncomingMessage, MessageRejection> {
        guard body.count <= limits.maxBodyBytes else { return .failure(.tooLarge(limit: limits.maxBodyBytes)) }
        let value: JSONValue
        do {
            value = try JSONParser(maxDepth: limits.maxDepth, maxTopLevelElements: limits.maxBatchElements).parse(body)
        } catch let error where error.kind == .tooManyElements {
            // Issue 10 item 26: the parser stopped at the first element beyond the cap, without
            // reading the rest; the answer is the one the whole batch would get.
            return .failure(batchRefusal(count: limits.maxBatchElements + 1, protocolVersion: protocolVersion, limits: limits))
        } catch {
            return .failure(error.jsonRPCCode == -32600 ? .invalidRequest(error.message) : .parseError(error.message))
        }
        if let elements = value.arrayValue {
            guard allowsBatches(protocolVersion), !elements.isEmpty, elements.count <= limits.maxBatchElements else {
                return .failure(batchRefusal(count: elements.count, protocolVersion: protocolVersion, limits: limits))
            }
            return .success(.batch(elements.map { message(from: $0, routing: routing) }))
        }
        return message(from: value, routing: routing).map(IncomingMessage.single)
    }

    private static func allowsBatches(_ protocolVersion: String?) -> Bool {
        protocolVersion == nil || protocolVersion == batchProtocolVersion
    }

    /// Why a top-level array of `count` elements is not read as a batch: the first check it fails.
    private static func batchRefusal(count: Int, protocolVersion: String?, limits: Limits) -> MessageRejection {
        if !allowsBatches(protocolVersion) { return .invalidRequest("batches are not part of MCP \(protocolVersion ?? "")") }
        if count == 0 { return .invalidRequest("an empty batch") }
        return .invalidRequest("a batch of more than \(limits.maxBatchElements) messages")
    }

    private static func message(from value: JSONValue, routing: RoutingHeaders) -> Result<JSONRPCMessage, MessageRejection> {
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage(value)
        } catch {
            let id = value.objectValue?["id"].flatMap(JSONRPCID.init)
            return .failure(.invalidRequest(error.description, id: id))
        }
        if case .notification(let notification) = message, !notification.method.hasPrefix(notificationPrefix) {
            // Issue 10 item 5: `tools/call` (or any request method) without an id would otherwise
            // pass on as a notification, unjudged; every MCP notification is `notifications/...`.
            return .failure(.invalidRequest("\"\(notification.method)\" is a request and needs an id"))
        }
        // Issue 10 item 23: checked whatever the protocol version, since an upstream or a proxy in
        // front of it may route on these headers whichever version the client claims.
        if let mismatch = routingMismatch(message, routing) { return .failure(mismatch) }
        return .success(message)
    }

    static let notificationPrefix = "notifications/"

    /// `Mcp-Method` must name the body's method, and `Mcp-Name` the tool, prompt or resource the
    /// body names, so that a proxy routing on headers never sees another request than the one judged.
    private static func routingMismatch(_ message: JSONRPCMessage, _ routing: RoutingHeaders) -> MessageRejection? {
        let (method, params, id): (String?, JSONValue?, JSONRPCID?) = switch message {
        case .request(let request): (request.method, request.params, request.id)
        case .notification(let notification): (notification.method, notification.params, nil)
        case .response: (nil, nil, nil)
        }
        if let header = routing.method, header != method {
            return .headerMismatch("Mcp-Method header \"\(header)\" does not match the body's method", id: id)
        }
        if let header = routing.name {
            let named = params?["name"]?.stringValue ?? params?["uri"]?.stringValue
            if header != named {
                return .headerMismatch("Mcp-Name header \"\(header)\" does not match the body", id: id)
            }
        }
        return nil
    }
}
