/// The pauses between attempts to reach PostgreSQL after a failure: doubling from `initial` up to
/// `maximum`, each a random duration between half and all of its step, so the processes that lost
/// the same server do not all come back at the same instant. The pool (`ReconnectGate`) and the
/// LISTEN connections (`NotificationListener`) both pause this way.
public struct ReconnectBackoff: Sendable {
    public let initial: Duration
    public let maximum: Duration
    /// Failures since the last success.
    private(set) var failures = 0

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5)) {
        precondition(initial > .zero && maximum >= initial, "a backoff grows from a positive pause to a larger cap")
        self.initial = initial
        self.maximum = maximum
    }

    /// The pause after one more failure.
    public mutating func nextDelay<Random: RandomNumberGenerator>(using random: inout Random) -> Duration {
        failures += 1
        let initialMs = max(1, initial.wholeMilliseconds)
        // Doubling stops at the cap long before the shift could overflow.
        let step = min(maximum.wholeMilliseconds, initialMs << min(failures - 1, 32))
        return .milliseconds(Int64.random(in: (step / 2)...step, using: &random))
    }

    public mutating func nextDelay() -> Duration {
        var random = SystemRandomNumberGenerator()
        return nextDelay(using: &random)
    }

    /// After a success: the next failure pauses `initial` again.
    public mutating func reset() {
        failures = 0
    }
}
