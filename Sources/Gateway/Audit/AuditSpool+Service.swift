import ServiceLifecycle

/// The spool is a service of the worker so that graceful shutdown closes it: what is queued (the
/// `response` rows appended without waiting) is written and synced before the process exits.
extension AuditSpool: Service {
    func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
