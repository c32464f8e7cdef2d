import AsyncHTTPClient
import JSON
import Logging
import NIOCore
import NIOHTTP1

/// One MCP session with an upstream over Streamable HTTP (MCP 2025-03-26 and later), from the
/// client side: POSTs JSON-RPC messages and reads the answer whether it comes as
/// `application/json` or as a `text/event-stream`.
///
/// A value type used by one task: it carries the session id and the negotiated protocol version
/// from one call to the next.
struct StreamableHTTPClientSession: Sendable {
    let httpClient: HTTPClient
    let upstream: PinnedUpstream
    let auth: UpstreamAuth
    let configuration: MCPClientConfiguration
    let logger: Logger
    /// `Mcp-Session-Id` from the `initialize` answer; nil for a stateless server.
    private(set) var sessionID: String?
    /// Sent as `MCP-Protocol-Version` on every request after `initialize`.
    var protocolVersion: String?
    private var nextRequestID = 1

    init(httpClient: HTTPClient, upstream: PinnedUpstream, auth: UpstreamAuth, configuration: MCPClientConfiguration, logger: Logger) {
        self.httpClient = httpClient
        self.upstream = upstream
        self.auth = auth
        self.configuration = configuration
        self.logger = logger
    }

    /// Sends a request and returns its result; a JSON-RPC error answer is thrown.
    mutating func call(_ method: String, params: JSONValue? = nil) async throws(MCPClientError) -> JSONValue {
        let id = JSONRPCID(integerLiteral: nextRequestID)
        nextRequestID += 1
        let request = JSONRPCRequest(id: id, method: method, params: params)
        let limit = configuration.maxResponseBytes
        let (headers, response) = try await exchange(request.jsonValue, method: method) { answer throws(MCPClientError) in
            try await Self.readResponse(answer, to: id, method: method, limit: limit)
        }
        if sessionID == nil, method == "initialize", let issued = headers.first(name: "Mcp-Session-Id") {
            // MCP: visible ASCII only; anything else could smuggle header content into later requests.
            guard !issued.isEmpty, issued.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw MCPClientError(.malformedAnswer, method: method, "the session id contains characters other than visible ASCII")
            }
            sessionID = issued
        }
        switch response.outcome {
        case .result(let result): return result
        case .error(let error): throw MCPClientError(.jsonRPCError(error), method: method, "the server answered with an error: \(error)")
        }
    }

    /// Sends a notification; the server answers 202 with no body.
    func notify(_ method: String, params: JSONValue? = nil) async throws(MCPClientError) {
        let limit = configuration.maxResponseBytes
        _ = try await exchange(JSONRPCNotification(method: method, params: params).jsonValue, method: method) { answer throws(MCPClientError) in
            _ = try await Self.readBody(of: answer, method: method, limit: limit)
        }
    }

    /// Ends the session (DELETE). Best effort: a server may answer 405 (it does not let clients
    /// end sessions) or be gone already; either way there is nothing left to do.
    func end() async {
        guard sessionID != nil else { return }
        var request = makeRequest(method: .DELETE)
        request.headers.remove(name: "Content-Type")
        do {
            let status = try await withTimeout(configuration.requestTimeout) { [request, httpClient, configuration] in
                let response = try await httpClient.execute(request, timeout: TimeAmount(configuration.requestTimeout))
                // Drain so the connection returns to the pool in a known state.
                for try await _ in response.body {}
                return response.status.code
            }
            logger.debug("ended upstream MCP session", metadata: ["mcp.upstream.status": "\(status)"])
        } catch {
            logger.debug("could not end upstream MCP session", metadata: ["error": "\(String(describing: error))"])
        }
    }

    private func makeRequest(method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: upstream.url.absoluteString)
        request.method = method
        // Upstream auth first, so a static header can never replace the protocol headers below.
        auth.apply(to: &request.headers)
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.headers.replaceOrAdd(name: "Accept", value: "application/json, text/event-stream")
        request.headers.replaceOrAdd(name: "User-Agent", value: "\(configuration.clientName)/\(configuration.clientVersion)")
        if let sessionID { request.headers.replaceOrAdd(name: "Mcp-Session-Id", value: sessionID) }
        if let protocolVersion { request.headers.replaceOrAdd(name: "MCP-Protocol-Version", value: protocolVersion) }
        return request
    }

    /// POSTs `message` and hands a successful answer to `read`, all within `requestTimeout`.
    private func exchange<Value: Sendable>(
        _ message: JSONValue,
        method: String,
        read: @escaping @Sendable (HTTPClientResponse) async throws(MCPClientError) -> Value
    ) async throws(MCPClientError) -> (HTTPHeaders, Value) {
        var request = makeRequest(method: .POST)
        request.body = .bytes(ByteBuffer(bytes: message.serializedBytes()))
        let timeout = configuration.requestTimeout
        logger.debug("calling upstream MCP server", metadata: ["mcp.method": "\(method)"])
        do {
            return try await withTimeout(timeout) { [request, httpClient, configuration] in
                let response = try await httpClient.execute(request, timeout: TimeAmount(timeout))
                try await Self.checkStatus(of: response, method: method, limit: configuration.maxResponseBytes)
                return (response.headers, try await read(response))
            }
        } catch let error as MCPClientError {
            throw error
        } catch is TimeoutExceeded {
            throw MCPClientError(.timeout, method: method, "no complete answer within \(timeout)")
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw MCPClientError(.timeout, method: method, "no answer within \(timeout)")
        } catch {
            logger.debug("upstream MCP call failed", metadata: ["mcp.method": "\(method)", "error": "\(String(reflecting: error))"])
            throw MCPClientError(.unreachable, method: method, "cannot reach \(upstream.host): \(UpstreamConnectionFailure.reason(for: error))")
        }
    }
}
