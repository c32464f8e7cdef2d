import Foundation
import Hummingbird
import JSON
import NIOCore
import Shared

/// `/v1/audit`: the MCP audit log the gateway workers ship (design.md §7), for every role.
struct AuditController {
    let tenants: TenantDatabase
    /// The chain is keyed (issue 10 item 20): verification needs the operator's secret keys.
    let chainKeys: AuditChainKeys?
    /// Rows per transaction of an export or a verification walk.
    var batchSize = 500

    func addRoutes(to group: RouterGroup<MemberRequestContext>) {
        group.get("/audit", use: list)
        group.get("/audit/export", use: export)
        group.get("/audit/verify", use: verify)
        group.get("/audit/summary", use: summary)
    }

    @Sendable func list(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let filter = try AuditFilter(query: request)
        let page = try PageRequest(query: request)
        return try await tenants.transaction(account: context.accountID) { tx in
            JSONResponse(try await AuditEventStore(tx: tx).list(filter, page: page))
        }
    }

    /// NDJSON, oldest first, written batch by batch as it is read: an export of millions of events
    /// never sits in memory, and each batch is its own short transaction.
    @Sendable func export(request: Request, context: MemberRequestContext) async throws -> Response {
        try context.require(.read)
        let filter = try AuditFilter(query: request)
        let (tenants, account, batchSize) = (tenants, context.accountID, batchSize)
        let body = ResponseBody { writer in
            var cursor: PageCursor?
            while true {
                let batch = try await tenants.transaction(account: account) { tx in
                    try await AuditEventStore(tx: tx).exportBatch(filter, after: cursor, limit: batchSize)
                }
                guard let last = batch.last else { break }
                var buffer = ByteBuffer()
                for event in batch {
                    buffer.writeBytes(event.json.serializedBytes())
                    buffer.writeInteger(UInt8(ascii: "\n"))
                }
                try await writer.write(buffer)
                cursor = last.pageCursor
                if batch.count < batchSize { break }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
    }

    /// `?buckets=` (1 to 200, default 24) equal slices of `since`..`until` (default: the last 24 hours
    /// up to now), each with its `request` rows counted per decision and code.
    @Sendable func summary(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let filter = try AuditFilter(query: request)
        var buckets = 24
        if let text = request.uri.queryParameters["buckets"] {
            guard let value = Int(text), (1...200).contains(value) else {
                throw ProblemError.badRequest("buckets must be an integer from 1 to 200.")
            }
            buckets = value
        }
        let until = filter.until ?? Date()
        let since = filter.since ?? until.addingTimeInterval(-86_400)
        guard since < until else { throw ProblemError.badRequest("since must be before until.") }
        let summary = try await tenants.transaction(account: context.accountID) { tx in
            try await AuditEventStore(tx: tx).summary(filter, since: since, until: until, buckets: buckets)
        }
        return JSONResponse(summary.json)
    }

    /// Walks the account's chain in seq order up to the head as it was when the walk began, so
    /// events shipped meanwhile are neither missed nor mistaken for a broken tail.
    @Sendable func verify(request: Request, context: MemberRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        guard let chainKeys else {
            throw ProblemError(status: .serviceUnavailable, detail: "The audit chain is keyed: the control plane needs --secret-keys to verify it.")
        }
        let (headSeq, start) = try await tenants.transaction(account: context.accountID) { tx in
            let store = AuditEventStore(tx: tx)
            return (try await store.chainHeadSeq(), try await store.chainStart())
        }
        var walk = start.map { AuditChainWalk(keys: chainKeys, afterSeq: $0.afterSeq, hash: $0.hash) } ?? AuditChainWalk(keys: chainKeys)
        while walk.lastSeq < headSeq {
            let batch = try await tenants.transaction(account: context.accountID) { [walk, batchSize] tx in
                try await AuditEventStore(tx: tx).chainBatch(afterSeq: walk.lastSeq, upToSeq: headSeq, limit: batchSize)
            }
            if batch.isEmpty { break }
            for stored in batch {
                if let broken = walk.check(stored.event, prevHash: stored.prevHash, hash: stored.hash, keyVersion: stored.keyVersion) {
                    return JSONResponse(Self.report(broken, checked: walk.checked))
                }
            }
        }
        if let broken = walk.finish(headSeq: headSeq) {
            return JSONResponse(Self.report(broken, checked: walk.checked))
        }
        return JSONResponse(["ok": true, "checked": .number(JSONNumber(walk.checked))])
    }

    private static func report(_ broken: AuditChainWalk.BrokenLink, checked: Int) -> JSONValue {
        var link = JSONObject([("reason", .string(broken.reason.rawValue)), ("expected_seq", .number(JSONNumber(broken.expectedSeq)))])
        if let event = broken.event {
            link["seq"] = .number(JSONNumber(event.seq))
            link["id"] = .uuid(event.id)
            link["time"] = .timestamp(event.time)
        }
        return ["ok": false, "checked": .number(JSONNumber(checked)), "first_broken": .object(link)]
    }
}

extension AuditFilter {
    /// `?identity=&grant=&server=&tool=&decision=allow|deny&code=&since=&until=` (RFC 3339 times).
    init(query request: Request) throws {
        let parameters = request.uri.queryParameters
        func uuid(_ name: String) throws -> UUID? {
            guard let text = parameters.get(name) else { return nil }
            guard let id = UUID(uuidString: text) else { throw ProblemError.badRequest("\(name) must be a UUID.") }
            return id
        }
        func time(_ name: String) throws -> Date? {
            guard let text = parameters.get(name) else { return nil }
            guard let date = Date(json: .string(text)) else { throw ProblemError.badRequest("\(name) must be \(Date.expected).") }
            return date
        }
        let decision = parameters["decision"].map(String.init)
        let code = parameters["code"].map(String.init)
        if let decision, !["allow", "deny"].contains(decision) {
            throw ProblemError.badRequest("decision must be allow or deny.")
        }
        self.init(
            identityID: try uuid("identity"), grantID: try uuid("grant"), serverID: try uuid("server"),
            tool: parameters["tool"].map(String.init), decision: decision, code: code, since: try time("since"), until: try time("until"))
    }
}

extension AuditSummary {
    var json: JSONValue {
        let width = bucketWidth
        let slices: [JSONValue] = buckets.enumerated().map { index, counts in
            .object(JSONObject([
                ("start", .timestamp(since.addingTimeInterval(width * Double(index)))),
                ("counts", .array(counts.map { count in
                    .object(JSONObject([
                        ("decision", .string(count.decision)),
                        ("code", count.code.map(JSONValue.string) ?? .null),
                        ("events", .number(JSONNumber(count.events))),
                    ]))
                })),
            ]))
        }
        return .object(JSONObject([
            ("since", .timestamp(since)), ("until", .timestamp(until)),
            ("bucket_seconds", .number(JSONNumber(width))), ("buckets", .array(slices)),
        ]))
    }
}
