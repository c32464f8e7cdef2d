import Foundation
import Hummingbird
import JSON
import Shared

/// `?limit=&cursor=` of a list endpoint (design.md §6).
///
/// Keyset pagination over `(time column, id)`: the cursor is the position of the last item of the
/// previous page, so pages stay correct while rows are inserted, and no OFFSET scan grows with the
/// page number. A store embeds its `Keyset`'s condition and order with `LIMIT \(page.fetchLimit)`,
/// then returns `Page(rows:request:)`.
struct PageRequest: Sendable {
    static let defaultLimit = 50
    static let maximumLimit = 200

    let limit: Int
    let after: PageCursor?

    /// One more than the page holds: its presence says there is a next page.
    var fetchLimit: Int { limit + 1 }

    init(limit: Int = PageRequest.defaultLimit, after: PageCursor? = nil) {
        self.limit = limit
        self.after = after
    }

    /// Reads `limit` and `cursor` from the query string; anything unusable is a 400 problem.
    init(query: Request) throws {
        let parameters = query.uri.queryParameters
        var limit = Self.defaultLimit
        if let text = parameters["limit"] {
            guard let value = Int(text), (1...Self.maximumLimit).contains(value) else {
                throw ProblemError.badRequest("limit must be an integer from 1 to \(Self.maximumLimit).")
            }
            limit = value
        }
        var after: PageCursor?
        if let text = parameters["cursor"], !text.isEmpty {
            guard let cursor = PageCursor(encoded: String(text)) else {
                throw ProblemError.badRequest("cursor is not one this API returned.")
            }
            after = cursor
        }
        self.init(limit: limit, after: after)
    }
}

/// A position in a list: the sort time (at PostgreSQL's microsecond precision) and id of an item.
/// Opaque to clients: base64url of `<microseconds since 1970>.<uuid>`.
struct PageCursor: Sendable, Equatable {
    let microseconds: Int64
    let id: UUID

    var time: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    init(time: Date, id: UUID) {
        // A Date read from timestamptz is within 0.5 µs of the stored value, so rounding recovers it.
        self.microseconds = Int64((time.timeIntervalSince1970 * 1_000_000).rounded())
        self.id = id
    }

    init?(encoded: String) {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ".")
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { return nil }
        self.microseconds = micros
        self.id = id
    }

    var encoded: String {
        Data("\(microseconds).\(id.uuidString.lowercased())".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// An item of a paginated list: where it sits in the list's order.
protocol Pageable: JSONRepresentable {
    var pageCursor: PageCursor { get }
}

/// One page of a list: `{"items": [...], "next_cursor": null | "..."}`.
struct Page<Item: Pageable>: JSONRepresentable {
    let items: [Item]
    let nextCursor: PageCursor?

    /// `rows` as fetched with `request.fetchLimit`.
    init(rows: [Item], request: PageRequest) {
        if rows.count > request.limit {
            items = Array(rows.prefix(request.limit))
            nextCursor = items.last?.pageCursor
        } else {
            items = rows
            nextCursor = nil
        }
    }

    var json: JSONValue {
        ["items": .array(items.map(\.json)), "next_cursor": .string(nextCursor?.encoded)]
    }
}
