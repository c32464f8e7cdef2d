import AsyncHTTPClient
import Foundation
import JSON
import NIOCore

/// Reading what an upstream answers to a POST (MCP Streamable HTTP): a JSON body, or an event
/// stream that may carry notifications and server requests before the response.
extension StreamableHTTPClientSession {
    /// Anything but 2xx is an error; its body is read (bounded) only to quote a JSON-RPC error
    /// message such as "Session not found".
    static func checkStatus(of response: HTTPClientResponse, method: String, limit: Int) async throws(MCPClientError) {
        let code = Int(response.status.code)
        guard !(200..<300).contains(code) else { return }
        var detail = "HTTP \(code) \(response.status.reasonPhrase)"
        if (300..<400).contains(code) {
            detail += "; redirects are not followed, register the final URL"
        } else if let body = try? await readBody(of: response, method: method, limit: min(limit, 64 << 10)),
                  let value = try? JSONValue.parse(body), let error = value["error"].flatMap({ try? JSONRPCErrorObject($0) }) {
            detail += ": \(error.message)"
        }
        throw MCPClientError(.httpStatus(code), method: method, detail)
    }

    static func readResponse(_ response: HTTPClientResponse, to id: JSONRPCID, method: String, limit: Int) async throws(MCPClientError) -> JSONRPCResponse {
        let mediaType = response.headers.first(name: "Content-Type")?
            .split(separator: ";", maxSplits: 1).first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        switch mediaType {
        case "application/json":
            let body = try await readBody(of: response, method: method, limit: limit)
            guard let answer = try parseMessage(body, method: method).matchingResponse(to: id) else {
                throw MCPClientError(.malformedAnswer, method: method, "the answer is not the response to request \(id)")
            }
            return answer
        case "text/event-stream":
            return try await readEventStream(response, to: id, method: method, limit: limit)
        default:
            throw MCPClientError(.malformedAnswer, method: method,
                                 "unexpected content type \(mediaType ?? "(none)"); expected application/json or text/event-stream")
        }
    }

    /// Reads events until the one holding our response; notifications, server requests and other
    /// responses before it are skipped (discovery has nothing to answer them with).
    private static func readEventStream(_ response: HTTPClientResponse, to id: JSONRPCID, method: String, limit: Int) async throws(MCPClientError) -> JSONRPCResponse {
        var parser = ServerSentEventParser(maxEventBytes: min(limit, ServerSentEventParser.defaultMaxEventBytes))
        var received = 0
        do {
            for try await chunk in response.body {
                received += chunk.readableBytes
                guard received <= limit else { throw tooLarge(method: method, limit: limit) }
                for event in try parser.feed(chunk.readableBytesView) where event.type == "message" {
                    if let answer = try parseMessage(event.data, method: method).matchingResponse(to: id) { return answer }
                }
            }
        } catch let error as MCPClientError {
            throw error
        } catch is ServerSentEventError {
            throw tooLarge(method: method, limit: limit)
        } catch {
            throw MCPClientError(.unreachable, method: method, "the event stream broke: \(UpstreamConnectionFailure.reason(for: error))")
        }
        throw MCPClientError(.malformedAnswer, method: method, "the event stream ended without a response to request \(id)")
    }

    /// The whole body, refusing more than `limit` bytes as they arrive rather than after.
    static func readBody(of response: HTTPClientResponse, method: String, limit: Int) async throws(MCPClientError) -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await chunk in response.body {
                guard bytes.count + chunk.readableBytes <= limit else { throw tooLarge(method: method, limit: limit) }
                bytes.append(contentsOf: chunk.readableBytesView)
            }
        } catch let error as MCPClientError {
            throw error
        } catch {
            throw MCPClientError(.unreachable, method: method, "the answer broke off: \(UpstreamConnectionFailure.reason(for: error))")
        }
        return bytes
    }

    private static func parseMessage(_ bytes: [UInt8], method: String) throws(MCPClientError) -> JSONRPCMessage {
        do {
            return try JSONRPCMessage(try JSONValue.parse(bytes))
        } catch let error as JSONParseError {
            throw MCPClientError(.malformedAnswer, method: method, "the answer is not JSON: \(error)")
        } catch {
            throw MCPClientError(.malformedAnswer, method: method, "the answer is not a JSON-RPC message: \(error)")
        }
    }

    private static func tooLarge(method: String, limit: Int) -> MCPClientError {
        MCPClientError(.tooLarge, method: method, "the answer is larger than \(limit) bytes")
    }
}

extension JSONRPCMessage {
    /// The response to request `id`, or nil for any other message. An error without an id is
    /// taken as ours: JSON-RPC sends it when the server could not read the request's id.
    func matchingResponse(to id: JSONRPCID) -> JSONRPCResponse? {
        guard case .response(let response) = self else { return nil }
        if response.id == id { return response }
        if response.id == nil, case .error = response.outcome { return response }
        return nil
    }
}
