import Foundation
import Shared

/// Decisions over time (the console's audit chart, issue 12 item 6): the `request` rows of a filter
/// counted per decision and code in equal slices of `[since, until)`.
struct AuditSummary: Sendable {
    struct Count: Sendable {
        let decision: String
        let code: String?
        let events: Int
    }

    let since: Date
    let until: Date
    /// `buckets[i]` covers `since + i * width` up to the next one; every slice is listed, empty or not.
    let buckets: [[Count]]

    var bucketWidth: TimeInterval { until.timeIntervalSince(since) / Double(buckets.count) }
}

extension AuditEventStore {
    /// One aggregate over the filter; `since < until` and `1...` buckets are the caller's to check.
    func summary(_ filter: AuditFilter, since: Date, until: Date, buckets: Int) async throws -> AuditSummary {
        var range = filter
        range.since = max(since, filter.since ?? since)
        range.until = min(until, filter.until ?? until)
        let rows = try await tx.query("""
            SELECT width_bucket(extract(epoch FROM time), extract(epoch FROM \(since)::timestamptz),
                                extract(epoch FROM \(until)::timestamptz), \(buckets)::int) AS bucket,
                   decision, code, count(*) AS events
            FROM audit_events
            WHERE account_id = \(tx.account) AND kind = 'request' AND \(range.conditions)
            GROUP BY 1, 2, 3
            ORDER BY 1, 2, 3
            """)
        var counts = Array(repeating: [AuditSummary.Count](), count: buckets)
        for row in rows {
            // width_bucket numbers the slices from 1; the range conditions keep every row inside.
            let bucket = try row.decode("bucket", as: Int.self) - 1
            guard counts.indices.contains(bucket) else { continue }
            counts[bucket].append(AuditSummary.Count(
                decision: try row.decode("decision"), code: try row.decode("code", as: String?.self), events: try row.decode("events")))
        }
        return AuditSummary(since: since, until: until, buckets: counts)
    }
}
