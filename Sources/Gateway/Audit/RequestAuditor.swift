import Logging
import NIOConcurrencyHelpers
import Shared

/// Appends the endpoint's audit events to the spool (design.md §7). The endpoint awaits `record` before
/// it forwards an allowed call or answers a denial; `false` means the event is not in the spool and
/// the request must be refused (503) rather than handled unrecorded. A call's `response` row goes
/// through `recordAfterAnswer`, which does not wait. `record` also names the request's trace span
/// (`Span.describe`), when tracing is on.
struct RequestAuditor: Sendable {
    let spool: AuditSpool
    /// Stamped on every event: which worker handled the request.
    let workerID: String
    let metrics: GatewayMetrics
    let logger: Logger

    func record(_ events: AuditEvent...) async -> Bool {
        await record(events)
    }

    /// All of `events` with one spool append (one write; in `machine` durability one `fdatasync`),
    /// or none of them.
    func record(_ events: [AuditEvent]) async -> Bool {
        let stamped = stamped(events)
        if let gathering = Self.gathering {
            gathering.add(stamped)
            return true
        }
        RequestTrace.current?.span.describe(stamped)
        do {
            metrics.spoolBytes.record(try await spool.append(stamped))
            return true
        } catch {
            refused(error, "audit event not spooled; refusing the request")
            return false
        }
    }

    func recordAfterAnswer(_ events: AuditEvent...) {
        recordAfterAnswer(events)
    }

    /// Events of a request already answered (a call's `response` row): handed to the spool's writer
    /// without waiting, so they never delay the answer or the next request on the connection
    /// (issue 11 item 2). A full spool drops them with an error log and the refusal counter: the
    /// request they describe has its row already.
    func recordAfterAnswer(_ events: [AuditEvent]) {
        let stamped = stamped(events)
        if let gathering = Self.gathering {
            gathering.add(stamped)
            return
        }
        do {
            metrics.spoolBytes.record(try spool.appendWithoutWaiting(stamped))
        } catch {
            refused(error, "audit event of an answered request not spooled")
        }
    }

    private func stamped(_ events: [AuditEvent]) -> [AuditEvent] {
        events.map { event in
            var event = event
            event.workerID = workerID
            return event
        }
    }

    private func refused(_ error: any Error, _ message: Logger.Message) {
        metrics.spoolRefusals.increment()
        logger.error(message, metadata: ["audit.error": "\(error)"])
    }

    /// Runs `body` with every `record` in it gathered instead of spooled (each then answers
    /// `true`), and returns what was gathered: the caller spools it with one `record` and undoes
    /// the body's effects if that fails. Issue 10 item 3: a batch of 100 messages is one append,
    /// not 100 appends and 100 `fdatasync`s. A task-local, so the decision code records the same
    /// way for a batch element as for a single message.
    func gathering<T>(_ body: () async -> T) async -> (T, [AuditEvent]) {
        let gathered = GatheredEvents()
        let value = await Self.$gathering.withValue(gathered) { await body() }
        return (value, gathered.events)
    }

    @TaskLocal private static var gathering: GatheredEvents?

    private final class GatheredEvents: Sendable {
        private let box = NIOLockedValueBox<[AuditEvent]>([])

        func add(_ events: [AuditEvent]) { box.withLockedValue { $0 += events } }

        var events: [AuditEvent] { box.withLockedValue { $0 } }
    }
}
