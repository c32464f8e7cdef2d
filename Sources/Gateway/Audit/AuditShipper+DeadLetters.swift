import Foundation
import Shared

/// Issue 10 item 2: an event PostgreSQL refuses must not wedge the shipper. Before, one such event
/// failed its account's transaction on every round, so no later event of that worker reached the
/// database and the spool filled up until every call got 503.
extension AuditShipper {
    /// Ships one account's events; when PostgreSQL refuses them (not when it is unreachable),
    /// ships each half in turn, in order, until every refused event stands alone and is
    /// dead-lettered. One bad event in a batch of n costs about 2·log2(n) transactions, not n, so a
    /// refusal in a large batch does not stall shipping (issue 11 item 3). A failure to store a
    /// dead letter is thrown like an outage: the events stay in the spool and are retried.
    func shipOrDeadLetter(_ events: [AuditEvent], of account: UUID) async throws {
        do {
            try await Self.ship(events, of: account, keys: chainKeys, to: database)
        } catch let error as DatabaseError where Self.refusesTheRows(error) {
            guard events.count > 1 else { return try await deadLetter(events[0], error: error) }
            let middle = events.count / 2
            try await shipOrDeadLetter(Array(events[..<middle]), of: account)
            try await shipOrDeadLetter(Array(events[middle...]), of: account)
        }
    }

    /// Errors about the rows themselves, which retrying the same rows cannot cure: values the client
    /// layer cannot send (`malformedValue`), and the server's data exceptions (class 22, e.g. a
    /// number out of range), integrity violations (23, e.g. a CHECK) and program limits (54, e.g. a
    /// row too large). Outages, timeouts, serialization failures and privilege errors are not: those
    /// events wait in the spool.
    static func refusesTheRows(_ error: DatabaseError) -> Bool {
        if error.code == .malformedValue { return true }
        guard error.code == .server, let state = error.sqlState?.rawValue else { return false }
        return ["22", "23", "54"].contains(String(state.prefix(2)))
    }

    private func deadLetter(_ event: AuditEvent, error: DatabaseError) async throws {
        // The detail may quote the refused value; it stays inside the tenant's own audit data.
        let reason = AuditStoredText.stored(String(String(reflecting: error).prefix(2000)))
        let payload = String(decoding: event.spoolPayload(), as: UTF8.self)
        try await database.execute("""
            INSERT INTO audit_dead_letters (id, account_id, event_time, payload, error, worker_id)
            VALUES (\(event.id), \(event.accountID), 'epoch'::timestamptz + \(event.timeMicroseconds) * interval '1 microsecond',
                    \(payload), \(reason), \(event.workerID.map(AuditStoredText.stored)))
            ON CONFLICT (id) DO NOTHING
            """)
        metrics.auditDeadLetters.increment()
        logger.error("audit event refused by PostgreSQL; kept in audit_dead_letters", metadata: [
            "audit.event_id": "\(event.id)", "audit.account_id": "\(event.accountID)", "audit.error": "\(error)",
        ])
    }
}
