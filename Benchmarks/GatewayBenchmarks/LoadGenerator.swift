import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Shared

/// Where a call goes: the upstream itself, or a proxy in front of it.
struct CallTarget: Sendable {
    let name: String
    let url: String
    var headers: HTTPHeaders
    /// The process(es) whose CPU time a saturation phase charges to this target.
    let cpuProcesses: @Sendable () -> [pid_t]
}

/// What a target answered when it did not answer the call correctly.
struct CallFailure: Sendable, CustomStringConvertible {
    let target: String
    let status: UInt
    let headers: String
    let body: String
    var description: String { "\(target) answered HTTP \(status)\n\(headers)\n\(body)" }
}

/// Sends the same `tools/call` to the targets, over one HTTP client with room for every
/// concurrent caller on its own connection.
struct LoadGenerator: Sendable {
    let client: HTTPClient
    static let body = ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello","count":3}}}"#)

    init(maxConnections: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnections)
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    static func headers(bearer: String? = nil) -> HTTPHeaders {
        var headers = HTTPHeaders([
            ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
            ("MCP-Protocol-Version", "2025-06-18"),
        ])
        if let bearer { headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        return headers
    }

    /// The same call under its own JSON-RPC id, so its audit row can be found.
    static func body(id: String) -> ByteBuffer {
        ByteBuffer(string: #"{"jsonrpc":"2.0","id":"\#(id)","method":"tools/call","params":{"name":"echo","arguments":{"text":"hello","count":3}}}"#)
    }

    /// One call; nil when it was answered correctly (200 with a successful tool result).
    func call(_ target: CallTarget, body: ByteBuffer = Self.body) async -> CallFailure? {
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.headers = target.headers
        request.body = .bytes(body)
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            // A byte search, not a parse, to keep the client's own cost out of the comparison.
            if response.status == .ok, body.readableBytesView.firstRange(of: Array(#""isError":false"#.utf8)) != nil { return nil }
            return CallFailure(
                target: target.name, status: response.status.code,
                headers: response.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n"), body: String(buffer: body))
        } catch {
            return CallFailure(target: target.name, status: 0, headers: "", body: "transport error: \(error)")
        }
    }

    /// Sends `count` calls to each target one at a time, alternating which goes first; returns
    /// each target's latencies in nanoseconds. Stops at the first failure.
    func sequential(_ targets: [CallTarget], count: Int) async throws -> [[Double]] {
        var samples = targets.map { _ in [Double]() }
        for index in 0..<count {
            let order = index % 2 == 0 ? Array(targets.indices) : targets.indices.reversed()
            for target in order {
                let started = ContinuousClock.now
                if let failure = await call(targets[target]) { throw BenchmarkError("\(failure)") }
                samples[target].append(Double((ContinuousClock.now - started).nanoseconds))
            }
        }
        return samples
    }

    /// Latencies of the calls answered correctly, in nanoseconds, and the others.
    struct TimedCalls {
        var latencies: [Double] = []
        var failures = 0
        var firstFailure: CallFailure?
    }

    /// Sends calls to `target` one at a time until `deadline`, timing each from the request to the
    /// last body byte; unlike `sequential`, a wrong answer is counted and the calls go on.
    func timedCalls(_ target: CallTarget, until deadline: ContinuousClock.Instant) async -> TimedCalls {
        var result = TimedCalls()
        while ContinuousClock.now < deadline {
            let started = ContinuousClock.now
            if let failure = await call(target) {
                result.failures += 1
                result.firstFailure = result.firstFailure ?? failure
            } else {
                result.latencies.append(Double((ContinuousClock.now - started).nanoseconds))
            }
        }
        return result
    }

    struct SaturationResult {
        var calls = 0
        var failures = 0
        var seconds = 0.0
        var cpuSeconds = 0.0
        var firstFailure: CallFailure?
        var callsPerSecond: Double { seconds > 0 ? Double(calls) / seconds : 0 }
        var cpuMicrosecondsPerCall: Double { calls > 0 ? cpuSeconds / Double(calls) * 1e6 : 0 }
    }

    /// `concurrency` callers send to `target` back to back for `duration`; counts correct answers
    /// and the CPU time the target's processes used meanwhile.
    func saturate(_ target: CallTarget, concurrency: Int, duration: Duration) async -> SaturationResult {
        let processes = target.cpuProcesses()
        let cpuBefore = processes.map(ProcessCPU.seconds).reduce(0, +)
        let started = ContinuousClock.now
        let deadline = started + duration
        var result = await withTaskGroup(of: SaturationResult.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var own = SaturationResult()
                    while ContinuousClock.now < deadline {
                        if let failure = await call(target) {
                            own.failures += 1
                            if own.firstFailure == nil { own.firstFailure = failure }
                        } else {
                            own.calls += 1
                        }
                    }
                    return own
                }
            }
            var total = SaturationResult()
            for await own in group {
                total.calls += own.calls
                total.failures += own.failures
                total.firstFailure = total.firstFailure ?? own.firstFailure
            }
            return total
        }
        result.seconds = (ContinuousClock.now - started).seconds
        result.cpuSeconds = processes.map(ProcessCPU.seconds).reduce(0, +) - cpuBefore
        return result
    }

    func shutdown() async {
        try? await client.shutdown()
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
    var seconds: Double { Double(nanoseconds) / 1e9 }
}
