import AsyncHTTPClient
import Foundation
import JSON
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Shared
import TestSupport

/// What the hostile account A sends in the noisy-neighbour benchmark (issue 10 item 26), each kind
/// aimed at a resource the gateway shares between accounts.
enum HostileKind: String, CaseIterable, Sendable {
    /// `tools/call search` whose `query` is `a…a!` against A's `deny_if … regex "(a+)+$"`: a
    /// backtracking engine takes time exponential in the length (issue 10 item 10).
    case regex
    /// One 2025-03-26 JSON-RPC batch of many allowed `tools/call echo` (item 3).
    case batch
    /// `tools/call deploy` with new arguments every time, so each call opens a new approval request
    /// and is held (item 18).
    case approval
    /// `tools/list` against A's upstream, which answers a multi-MiB list the gateway must filter (items 7, 15).
    case toolsList = "tools-list"

    var label: String {
        switch self {
        case .regex: "pathological regex input"
        case .batch: "large batches (2025-03-26)"
        case .approval: "approval flood"
        case .toolsList: "huge tools/list answers"
        }
    }
}

/// The sizes of A's requests and answers.
struct HostileShape: Sendable {
    /// The number of `a`s before the `!` of the regex attack.
    var regexLength = 16
    var batchSize = 1000
    /// The size of the `tools/list` answer of A's upstream.
    var toolsListMiB = 6
    /// How many of each kind are in flight at once, apart from approvals.
    var concurrency = 2
    /// Approval calls in flight at once: each is held for the policy's 1 s hold, so a flood
    /// needs many open at a time.
    var approvalConcurrency = 32
    /// At most this many requests of each kind per phase, so the run stays bounded in count too.
    var maxRequestsPerPhase = 2000

    /// A's account: its upstream serves the three tools it calls, and (once registered) a list
    /// of `toolsListMiB` MiB; its policy puts the nested-quantifier regex on `search` and an
    /// approval with a 1 s hold on `deploy`. `default: allow` and `pin: off` keep the whole
    /// list in the filtered answer, the most work for the gateway.
    var tenantPlan: TenantPlan {
        TenantPlan(
            label: "hostile",
            upstream: .init(tools: Self.calledTools, mode: .json, recordRequests: false),
            policy: """
                {"version": "1", "default": "allow", "pin": "off", "tools": {
                  "search": {"deny_if": [{"conditions": [{"path": "args.query", "op": "regex", "value": "(a+)+$"}]}]},
                  "deploy": {"approval": {"hold": "1s"}},
                  "echo": {}
                }}
                """)
    }

    func concurrency(of kind: HostileKind) -> Int { kind == .approval ? approvalConcurrency : concurrency }

    static let calledTools = ["search", "deploy", "echo"].map { FakeMCPUpstream.tool($0) }

    /// The tools A's upstream serves once registered (registration itself sees only the called
    /// tools, so discovery limits cannot stop the set-up): the called tools plus 1 KiB filler
    /// tools up to `toolsListMiB`.
    var hugeToolList: [JSONValue] {
        let description = String(repeating: "Lorem ipsum dolor sit amet. ", count: 33)
        let count = toolsListMiB << 10
        return Self.calledTools + (0..<count).map { FakeMCPUpstream.tool("filler-\($0)", description: description) }
    }
}

/// What A's requests of one kind got back: HTTP requests, and outcomes per JSON-RPC message (a
/// batch counts each element).
struct HostileTally: Sendable {
    var requests = 0
    var bytesReceived = 0
    var outcomes: [String: Int] = [:]

    mutating func add(_ other: HostileTally) {
        requests += other.requests
        bytesReceived += other.bytesReceived
        outcomes.merge(other.outcomes, uniquingKeysWith: +)
    }
}

/// Sends A's traffic through the gateway, `shape.concurrency(of:)` callers per kind, until cancelled
/// or the phase's count is reached, on an HTTP client of its own (B's connections are not shared).
struct HostileTraffic: Sendable {
    let client: HTTPClient
    let url: String
    let grantToken: String
    let shape: HostileShape
    /// Makes every approval call's arguments new, across phases too.
    private let approvalCounter = NIOLockedValueBox(0)
    /// Built once: serializing 1,000 calls per request took CPU of the benchmark's own process,
    /// which shares the cores with the gateway and B's client, and counted against B's figures.
    private let batchBody: [UInt8]

    init(url: String, grantToken: String, shape: HostileShape) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: HostileKind.allCases.map(shape.concurrency(of:)).reduce(0, +) * 2)
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.url = url
        self.grantToken = grantToken
        self.shape = shape
        batchBody = JSONValue.array((0..<shape.batchSize).map { Self.call(id: $0 + 1, tool: "echo", arguments: ["text": "hello"]) }).serializedBytes()
    }

    /// Runs `kinds` until the task is cancelled (the end of the phase); returns what each got.
    func run(_ kinds: [HostileKind]) async -> [HostileKind: HostileTally] {
        await withTaskGroup(of: (HostileKind, HostileTally).self) { group in
            for kind in kinds {
                let quota = RequestQuota(shape.maxRequestsPerPhase)
                for _ in 0..<shape.concurrency(of: kind) {
                    group.addTask {
                        var tally = HostileTally()
                        while !Task.isCancelled, quota.take() { tally.add(await send(kind)) }
                        return (kind, tally)
                    }
                }
            }
            var tallies: [HostileKind: HostileTally] = [:]
            for await (kind, tally) in group { tallies[kind, default: HostileTally()].add(tally) }
            return tallies
        }
    }

    private func send(_ kind: HostileKind) async -> HostileTally {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers = LoadGenerator.headers(bearer: grantToken)
        if kind == .batch { request.headers.replaceOrAdd(name: "MCP-Protocol-Version", value: "2025-03-26") }
        request.body = .bytes(ByteBuffer(bytes: body(kind)))
        var tally = HostileTally(requests: 1)
        do {
            let response = try await client.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 64 << 20)
            tally.bytesReceived = body.readableBytes
            for outcome in HostileOutcome.classify(status: response.status.code, contentType: response.headers.first(name: "Content-Type"), body: body) {
                tally.outcomes[outcome, default: 0] += 1
            }
        } catch {
            // Cancelled at the end of the phase, or no answer within 60 s.
            tally.outcomes[Task.isCancelled ? "cut at the end of the phase" : "no answer (\(type(of: error)))", default: 0] += 1
        }
        return tally
    }

    private func body(_ kind: HostileKind) -> [UInt8] {
        switch kind {
        case .regex:
            let query = String(repeating: "a", count: shape.regexLength) + "!"
            return Self.call(id: 1, tool: "search", arguments: ["query": .string(query)]).serializedBytes()
        case .batch:
            return batchBody
        case .approval:
            let arguments: JSONValue = ["target": "production", "attempt": .number(JSONNumber(approvalCounter.withLockedValue { $0 += 1; return $0 }))]
            return Self.call(id: 1, tool: "deploy", arguments: arguments).serializedBytes()
        case .toolsList:
            return Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#.utf8)
        }
    }

    private static func call(id: Int, tool: String, arguments: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": "tools/call", "params": ["name": .string(tool), "arguments": arguments]]
    }

    func shutdown() async {
        try? await client.shutdown()
    }
}

/// How many requests of one kind may still be sent in this phase, shared by that kind's callers.
final class RequestQuota: Sendable {
    private let left: NIOLockedValueBox<Int>

    init(_ count: Int) { left = NIOLockedValueBox(count) }

    func take() -> Bool {
        left.withLockedValue { left in
            guard left > 0 else { return false }
            left -= 1
            return true
        }
    }
}
