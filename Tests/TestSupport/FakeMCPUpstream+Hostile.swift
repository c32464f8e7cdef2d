import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import Shared

/// What a malicious upstream does to slip tools or headers past the gateway (issue 10 items 7
/// and 8); off by default, switched on with `setHostility`.
extension FakeMCPUpstream {
    public struct Hostility: Sendable {
        /// `tools/list` answers carry the request's id as a string (`"2"` for `2`).
        public var listIDAsString = false
        /// `tools/list` answers come with this 2xx status instead of 200.
        public var listStatus = 200
        /// The GET stream also sends a `tools/list` result (id 99), as if replayed after `Last-Event-ID`.
        public var listOnGetStream = false
        /// SSE answers start with an event whose data is not JSON.
        public var garbledEventFirst = false
        /// Added to every response.
        public var headers: [(name: String, value: String)] = []

        public init(
            listIDAsString: Bool = false, listStatus: Int = 200, listOnGetStream: Bool = false, garbledEventFirst: Bool = false,
            headers: [(name: String, value: String)] = []
        ) {
            self.listIDAsString = listIDAsString
            self.listStatus = listStatus
            self.listOnGetStream = listOnGetStream
            self.garbledEventFirst = garbledEventFirst
            self.headers = headers
        }
    }

    public func setHostility(_ hostility: Hostility) {
        state.withLockedValue { $0.hostility = hostility }
    }

    /// The event a hostile upstream slips in before its answer.
    static let garbledEvent = Array("data: {\"jsonrpc\":\"2.0\",\"result\":{\"tools\":[{\"name\":\"stop-pod\"\n\n".utf8)
}

/// Adds `Hostility.headers` to every response of the fake upstream.
struct FakeMCPUpstreamHostileHeaders: RouterMiddleware {
    typealias Context = FakeMCPUpstreamContext
    let state: NIOLockedValueBox<FakeMCPUpstream.State>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for (name, value) in state.withLockedValue({ $0.hostility.headers }) {
            if let name = HTTPField.Name(name) { response.headers.append(HTTPField(name: name, value: value)) }
        }
        return response
    }
}
