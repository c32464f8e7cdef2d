import Logging
import Shared

/// Appends the endpoint's audit events to the spool (SPEC 7). The endpoint awaits `record` before
/// it forwards an allowed call or answers a denial; `false` means the event is not on disk and the
/// request must be refused (503) rather than handled unrecorded.
struct RequestAuditor: Sendable {
    let spool: AuditSpool
    /// Stamped on every event: which worker handled the request.
    let workerID: String
    let metrics: GatewayMetrics
    let logger: Logger

    func record(_ events: AuditEvent...) async -> Bool {
        let stamped = events.map { event in
            var event = event
            event.workerID = workerID
            return event
        }
        do {
            metrics.spoolBytes.record(try await spool.append(stamped))
            return true
        } catch {
            metrics.spoolRefusals.increment()
            logger.error("audit event not spooled; refusing the request", metadata: ["audit.error": "\(error)"])
            return false
        }
    }
}
