import ServiceLifecycle

/// When a periodic service does its first round.
public enum FirstRound: Sendable {
    /// At start: maintenance that should not wait a whole interval after every restart.
    case immediately
    /// One interval after start: work that was just done on demand or at creation.
    case afterInterval
}

/// The loop of every periodic background service (sweepers, rediscovery, key refresh, ...): runs
/// `round` every `interval` until graceful shutdown or cancellation. A round is never interrupted by
/// the shutdown signal midway through a statement: the signal cancels the task, which the round's
/// own awaits observe; the sleep between rounds ends at once.
public func repeatUntilShutdown(
    every interval: Duration,
    firstRound: FirstRound,
    _ round: @Sendable @escaping () async -> Void
) async {
    await cancelWhenGracefulShutdown {
        if firstRound == .immediately { await round() }
        while !Task.isCancelled, (try? await Task.sleep(for: interval)) != nil {
            await round()
        }
    }
}
