/// Thrown by `withTimeout` when the limit passes first.
public struct TimeoutExceeded: Error {
    public init() {}
}

/// Runs `operation`, cancelling it when `limit` passes first.
///
/// AsyncHTTPClient's own deadline covers the response head only (STYLE, "For the proxy"); an
/// answer that trickles in over SSE would otherwise hold a discovery forever.
public func withTimeout<Value: Sendable>(
    _ limit: Duration,
    _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimeoutExceeded() }
        return value
    }
}
